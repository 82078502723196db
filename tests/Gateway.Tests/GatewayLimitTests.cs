namespace BucketMount.Gateway.Tests;

/// <summary>Per-grant request rate: past it, S3's SlowDown; another grant is not held back.</summary>
[TestClass]
public sealed class GatewayLimitTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task A_grant_past_its_request_rate_gets_slow_down_and_another_grant_does_not()
    {
        // The gateway's clock stands still, so the one-second burst never refills: exactly 3 requests pass.
        var clock = new FixedClock(DateTimeOffset.UtcNow);
        await using var gateway = await GatewayFixture.StartAsync(TestContext.CancellationToken, requestsPerSecond: 3, clock: clock);
        var (busyId, busySecret, busy) = gateway.Mint("users/1/");
        var (quietId, quietSecret, _) = gateway.Mint("users/2/");

        var statuses = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var response = await RawS3.SendAsync(gateway.EndpointUri, (busyId, busySecret), "GET", $"/{gateway.Bucket}", "prefix=users%2F1%2F");
            statuses.Add(response.Status);
            if (response.Status == 503)
            {
                StringAssert.Contains(response.Text, "<Code>SlowDown</Code>");
            }
        }

        CollectionAssert.AreEqual(new[] { 200, 200, 200, 503, 503, 503 }, statuses);
        Assert.AreEqual(200, (await RawS3.SendAsync(gateway.EndpointUri, (quietId, quietSecret), "GET", $"/{gateway.Bucket}", "prefix=users%2F2%2F")).Status);
        StringAssert.Contains(await gateway.WaitForAuditAsync("reason=\"over the grant's"), $"grant={busy.Id}");
    }
}
