using System.Text.Json;
using Amazon.S3.Model;
using BucketMount.Gateway.Audit;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// Per-grant limits. Request rate: past it, S3's SlowDown; another grant is not held back. Byte rate: a body goes
/// through no faster than the rate allows, counted on a clock the test moves, never measured.
/// </summary>
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

    [TestMethod]
    public async Task A_body_over_the_byte_rate_needs_the_budget_refilled_and_status_reports_the_waits()
    {
        const int rate = 100_000;
        const int size = 1_000_000;
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var ct = TestContext.CancellationToken;
        await using var gateway = await GatewayFixture.StartAsync(ct, clock: clock, bytesPerSecond: rate);
        var (id, secret, grant) = gateway.Mint("users/1/");
        using var client = gateway.Client(id, secret);
        var data = new byte[size];
        Random.Shared.NextBytes(data);

        var put = client.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = "users/1/big", InputStream = new MemoryStream(data) }, ct);
        // Move the gateway's clock a tenth of a second at a time until the upload is through (bounded).
        for (var step = 0; step < 3000 && !put.IsCompleted; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2, ct);
        }

        Assert.IsTrue(put.IsCompleted, $"the upload did not finish after {clock.Advanced} of the gateway's time");
        await put;
        // The bucket starts with one second's worth; every byte past it waited for the clock to refill it.
        Assert.IsTrue(clock.Advanced >= TimeSpan.FromSeconds((size - rate) / (double)rate), $"1 MB at 100 kB/s went through in {clock.Advanced} of the gateway's time");
        var counters = gateway.Usage.Snapshot[grant.Id];
        Assert.IsTrue(Interlocked.Read(ref counters.BytePauses) > 0);

        var statusFile = Path.Combine(Path.GetTempPath(), "bm-gw-status-" + Guid.NewGuid().ToString("N") + ".json");
        StatusFile.Write(statusFile, "127.0.0.1:0", gateway.Bucket, clock.GetUtcNow(), 0, gateway.Usage);
        using var status = JsonDocument.Parse(File.ReadAllBytes(statusFile));
        File.Delete(statusFile);
        var text = StatusReport.Format(status.RootElement, clock.GetUtcNow());
        StringAssert.Contains(text, "no request limit, 0.1 MiB/s");
        StringAssert.Matches(text, new System.Text.RegularExpressions.Regex($@"grant {grant.Id} read-write users/1/: 1 requests .* 100\d{{4}} bytes in, 0 out \([1-9]\d* waits for the byte rate\)"));
    }
}
