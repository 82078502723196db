using BucketMount.Backends.Azure;
using BucketMount.Backends.Tests.Contract;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>
/// The whole contract signed in with Entra ID: every request (and every Blob Batch sub-request) reaches Azurite only
/// through a stand-in that accepts nothing but the bearer token the credential issued.
/// </summary>
[TestClass]
public sealed class EntraContractTests : ObjectStoreContractTests
{
    private const string BearerToken = "contract-token-0d5c";
    private static EntraStandIn? _standIn;

    protected override ContractGaps Gaps => ContractGaps.NoControlCharactersInKeys;

    protected override IEnumerable<string> KnownSecrets => [BearerToken, AzureBlobStoreOptions.DevelopmentKey];

    [ClassCleanup]
    public static async Task StopStandIn()
    {
        if (_standIn is not null)
        {
            Assert.AreEqual(0, _standIn.Refused, "every request carried the issued bearer token");
            await _standIn.DisposeAsync();
        }
    }

    protected override async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        if (_standIn is null)
        {
            _standIn = await EntraStandIn.StartAsync(cancellationToken);
            _standIn.Accept(BearerToken);
        }

        var options = await AzuriteContainers.CreateAsync(cancellationToken);
        return new AzureBlobObjectStore(options with { AccountKey = null, Endpoint = _standIn.BlobEndpoint, TokenCredential = new StaticCredential(BearerToken) });
    }
}
