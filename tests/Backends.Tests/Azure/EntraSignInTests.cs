using Azure.Core;
using Azure.Identity;
using BucketMount.Backends.Azure;
using BucketMount.Backends.Remotes;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>Entra ID sign-in: bearer tokens reused, refreshed before they expire, never shown; how ?auth= chooses.</summary>
[TestClass]
public sealed class EntraSignInTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_token_is_reused_until_five_minutes_before_expiry_then_a_new_one_is_sent()
    {
        await using var standIn = await EntraStandIn.StartAsync(Token);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var credential = new CountingCredential(clock, standIn);
        var options = await AzuriteContainers.CreateAsync(Token);
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, Endpoint = standIn.BlobEndpoint, TokenCredential = credential, Time = clock });

        await store.PutAsync("a", new MemoryStream([1, 2, 3]), null, Token);
        clock.Now += TimeSpan.FromMinutes(54);
        Assert.IsNotNull(await store.HeadAsync("a", Token));
        Assert.AreEqual(1, credential.Issued.Count, "one token for both requests while it has more than 5 minutes left");

        clock.Now += TimeSpan.FromMinutes(2); // 4 minutes before the first token expires
        Assert.IsNotNull(await store.HeadAsync("a", Token));
        await store.DeleteManyAsync(["a", "b"], Token);

        Assert.AreEqual(2, credential.Issued.Count, "a new token before the first expired");
        var seen = standIn.SeenTokens.ToList();
        CollectionAssert.AreEqual(new[] { credential.Issued[0], credential.Issued[0], credential.Issued[1] }, seen.Take(3).ToList());
        Assert.IsTrue(seen.Skip(2).All(t => t == credential.Issued[1]), "the batch and its sub-requests carry the new token");
        Assert.AreEqual(0, standIn.Refused);
    }

    [TestMethod]
    public async Task A_token_the_service_refuses_is_access_denied_without_showing_it()
    {
        await using var standIn = await EntraStandIn.StartAsync(Token);
        var options = await AzuriteContainers.CreateAsync(Token);
        const string unknown = "token-the-service-does-not-know-91f3";
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, Endpoint = standIn.BlobEndpoint, TokenCredential = new StaticCredential(unknown) });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("k", new MemoryStream([1]), null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "Storage Blob Data Contributor");
        Assert.DoesNotContain(unknown, error.ToString());
        Assert.AreEqual(unknown, standIn.SeenTokens.Single(), "the refused request did carry the token");
    }

    [TestMethod]
    public async Task A_token_the_service_stops_accepting_is_replaced_on_the_next_request()
    {
        await using var standIn = await EntraStandIn.StartAsync(Token);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var credential = new CountingCredential(clock, standIn);
        var options = await AzuriteContainers.CreateAsync(Token);
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, Endpoint = standIn.BlobEndpoint, TokenCredential = credential, Time = clock });
        await store.PutAsync("a", new MemoryStream([1]), null, Token);

        standIn.Revoke(credential.Issued[0]);
        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("a", Token));
        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);

        Assert.IsNotNull(await store.HeadAsync("a", Token), "the retry after a refusal signs in anew");
        Assert.AreEqual(2, credential.Issued.Count);
    }

    [TestMethod]
    public async Task A_failed_sign_in_is_access_denied_with_the_credentials_reason_and_what_to_do()
    {
        var options = AzureBlobStoreOptions.Development("cont", 1) with { AccountKey = null, TokenCredential = new FailingCredential() };
        await using var store = new AzureBlobObjectStore(options);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "Entra ID sign-in failed: no identity here.");
        StringAssert.Contains(error.Message, "az login");
        Assert.IsNull(error.InnerException, "no .NET exception (and stack) behind the message");
    }

    [TestMethod]
    public void A_bearer_token_is_never_sent_over_plain_http_to_another_machine()
    {
        var options = new AzureBlobStoreOptions { Account = "acct", Container = "data", Endpoint = "http://storage.example/acct", TokenCredential = new StaticCredential("t") };

        var error = Assert.ThrowsExactly<ObjectStoreException>(options.Validate);

        StringAssert.Contains(error.Message, "needs an https endpoint");
    }

    [TestMethod]
    public void Auth_chooses_the_sign_in_and_without_it_the_environment_decides_in_Azures_order()
    {
        var entra = new StaticCredential("t");
        var key = AzureBlobStoreOptions.DevelopmentKey;
        var everything = new RemoteCredentials { AzureAccountKey = key, AzureSasToken = "sv=1&sig=x", AzureConnectionString = "UseDevelopmentStorage=true" };
        string Chosen(string uri, RemoteCredentials credentials) => AzureSignIn.Options(RemoteUri.Parse(uri), credentials, () => entra).CredentialsText;

        Assert.AreEqual("Entra ID", Chosen("az://acct/data", new RemoteCredentials()));
        Assert.AreEqual("SAS token", Chosen("az://acct/data", new RemoteCredentials { AzureSasToken = "sv=1&sig=x" }));
        Assert.AreEqual("account key", Chosen("az://acct/data", new RemoteCredentials { AzureAccountKey = key, AzureSasToken = "sv=1&sig=x" }));
        Assert.AreEqual("Entra ID", Chosen("az://acct/data?auth=entra", everything));
        Assert.AreEqual("SAS token", Chosen("az://acct/data?auth=sas", everything));
        Assert.AreEqual("SAS token", Chosen("az://devstoreaccount1/data?auth=sas",
            new RemoteCredentials { AzureConnectionString = $"AccountName=devstoreaccount1;AccountKey={key};SharedAccessSignature=sv=1&sig=x" }));
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => Chosen("az://acct/data?auth=entr", everything));
        StringAssert.Contains(error.Message, "key, sas, connection_string, entra");
    }

    [TestMethod]
    public void Auth_is_allowed_in_a_remote_only_with_one_of_its_words()
    {
        Assert.AreEqual("entra", RemoteUri.Parse("az://acct/data?auth=entra").Parameters["auth"]);
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse("az://acct/data?auth=eyJhbGciOiJSUzI1NiJ9.secret"));
        Assert.DoesNotContain("eyJhbGciOiJSUzI1NiJ9", error.Message);
        Assert.AreEqual("az://acct/data?auth=key", UriSecrets.Redact("az://acct/data?auth=key"));
        Assert.AreEqual("az://acct/data?auth=…", UriSecrets.Redact("az://acct/data?auth=eyJhbGciOiJSUzI1NiJ9"));
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Issues a new token valid for an hour of the clock, and tells the stand-in to accept it.</summary>
    private sealed class CountingCredential(ManualClock clock, EntraStandIn standIn) : TokenCredential
    {
        public List<string> Issued { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            CollectionAssert.AreEqual(new[] { "https://storage.azure.com/.default" }, requestContext.Scopes);
            var token = $"refresh-test-{Issued.Count}-{Guid.NewGuid():N}";
            Issued.Add(token);
            standIn.Accept(token);
            return new AccessToken(token, clock.Now.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class FailingCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new CredentialUnavailableException("no identity here");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new CredentialUnavailableException("no identity here");
    }
}
