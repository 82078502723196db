using BucketMount.Backends.Azure;
using BucketMount.Backends.Tests.Contract;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>The contract against Azurite 3.37.0, which checks Shared Key signatures.</summary>
[TestClass]
public sealed class AzuriteContractTests : ObjectStoreContractTests
{
    protected override ContractGaps Gaps => ContractGaps.NoControlCharactersInKeys;

    protected override IEnumerable<string> KnownSecrets => [AzureBlobStoreOptions.DevelopmentKey];

    protected override async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        new AzureBlobObjectStore(await AzuriteContainers.CreateAsync(cancellationToken));
}
