using BucketMount.Backends.Local;
using BucketMount.Backends.Tests.Contract;

namespace BucketMount.Backends.Tests.Local;

[TestClass]
public sealed class LocalFolderContractTests : ObjectStoreContractTests
{
    private readonly List<string> _folders = [];

    protected override Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-local-contract-").FullName;
        _folders.Add(folder);
        return Task.FromResult<IObjectStore>(new LocalFolderStore(folder));
    }

    protected override ContractGaps Gaps => OperatingSystem.IsLinux() ? ContractGaps.None : ContractGaps.CaseInsensitiveKeys;

    [TestCleanup]
    public void DeleteFolders()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
