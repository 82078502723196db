using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// The mount as a library: `dotnet pack src/Package` makes the BucketMount package, and a small program built
/// against it from a local folder feed (as a sandbox orchestrator would) mounts, writes, unmounts and remounts.
/// </summary>
[TestClass]
public sealed class PackageTests
{
    /// <summary>The README's sample, grown into a program that checks the round trip.</summary>
    private const string Sample = """
        using BucketMount.Engine;
        using BucketMount.Engine.Hosting;
        using BucketMount.Fuse;
        using BucketMount.Hosting;

        var (store, mountPoint, cache) = (args[0], args[1], args[2]);
        var options = new MountedBucketOptions
        {
            Host = new FuseHostFactory(new FuseMountOptions()),
            Engine = new EngineOptions { CacheDirectory = cache },
        };

        await using (var bucket = await MountedBucket.MountAsync("file://" + store, mountPoint, options, CancellationToken.None))
        {
            await File.WriteAllTextAsync(Path.Combine(mountPoint, "from-the-package.txt"), "written through the package");
            var result = await bucket.UnmountAsync(progress: null, force: false, CancellationToken.None);
            Console.WriteLine($"unmounted: {result}");
        }

        await using (var again = await MountedBucket.MountAsync("file://" + store, mountPoint, options, CancellationToken.None))
        {
            Console.WriteLine("read back: " + await File.ReadAllTextAsync(Path.Combine(mountPoint, "from-the-package.txt")));
        }
        """;

    private string _root = null!;
    private string? _runVersion;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-package-").FullName;

    [TestCleanup]
    public async Task DeleteRoot()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{Path.Combine(_root, "mnt")}' 2>/dev/null || true");
        Directory.Delete(_root, recursive: true);
        var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "bucketmount", _runVersion ?? "none");
        if (_runVersion is not null && Directory.Exists(cached))
        {
            // This run's package, which NuGet copied into the machine's cache: nobody else will ask for its version.
            Directory.Delete(cached, recursive: true);
        }
    }

    [TestMethod]
    public async Task A_program_built_against_the_packed_package_mounts_writes_unmounts_and_remounts()
    {
        var repository = Path.GetDirectoryName(Path.GetDirectoryName(EmulatorProcess.EmulatorsDirectory))!;
        var feed = Path.Combine(_root, "feed");

        // A version of its own each run: NuGet's machine-wide cache keeps a package by id and version, so a sample
        // built against the build's usual version would get whatever package of that version an earlier run cached.
        var runVersion = _runVersion = $"0.0.0-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        await Shell.MustAsync($"dotnet pack '{repository}/src/Package' -c Release -o '{feed}' -p:Version={runVersion} -nologo -v q", timeout: TimeSpan.FromMinutes(8));

        var package = Directory.GetFiles(feed, "BucketMount.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(package)["BucketMount.".Length..];
        var documented = await Shell.MustAsync($"unzip -l '{package}'");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.Engine.xml", "the public API's XML docs ship with it");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.FuseMount.dll");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.Hosting.dll", "MountedBucket, the entry point");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.StoreInterface.dll", "the store interface the engine is built on");

        var project = Directory.CreateDirectory(Path.Combine(_root, "sample")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Sample.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BucketMount" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        // Only the folder feed: the package's own dependencies are already in the machine's package cache.
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), Sample);
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;

        var output = await Shell.MustAsync(
            $"cd '{project}' && dotnet run -v q -- '{store}' '{mountPoint}' '{Path.Combine(_root, "cache")}'", timeout: TimeSpan.FromMinutes(8));

        StringAssert.Contains(output, "read back: written through the package");
        Assert.AreEqual("written through the package", await File.ReadAllTextAsync(Path.Combine(store, "from-the-package.txt")), "the first mount's unmount put it in the store");
        Assert.IsFalse(MountProcess.IsMounted(mountPoint), "disposing the second mount unmounted it");
    }
}
