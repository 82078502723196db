using BucketMount.Backends.Memory;
using BucketMount.Backends.Tests.Contract;

namespace BucketMount.Backends.Tests.Memory;

[TestClass]
public sealed class MemoryContractTests : ObjectStoreContractTests
{
    protected override Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IObjectStore>(new MemoryObjectStore("contract-" + Guid.NewGuid().ToString("N")[..8]));
}
