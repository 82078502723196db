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

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-package-").FullName;

    [TestCleanup]
    public async Task DeleteRoot()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{Path.Combine(_root, "mnt")}' 2>/dev/null || true");
        Directory.Delete(_root, recursive: true);
    }

    [TestMethod]
    public async Task A_program_built_against_the_packed_package_mounts_writes_unmounts_and_remounts()
    {
        var repository = Path.GetDirectoryName(Path.GetDirectoryName(EmulatorProcess.EmulatorsDirectory))!;
        var feed = Path.Combine(_root, "feed");

        await Shell.MustAsync($"dotnet pack '{repository}/src/Package' -c Release -o '{feed}' -nologo -v q", timeout: TimeSpan.FromMinutes(8));

        var package = Directory.GetFiles(feed, "BucketMount.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(package)["BucketMount.".Length..];
        var documented = await Shell.MustAsync($"unzip -l '{package}'");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.Engine.xml", "the public API's XML docs ship with it");
        StringAssert.Contains(documented, "lib/net10.0/BucketMount.FuseMount.dll");

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
        // MountedBucket sits in BucketMount.Engine.Hosting, or in BucketMount.Hosting where it has its own assembly.
        var hosting = documented.Contains("BucketMount.Hosting.dll", StringComparison.Ordinal) ? "using BucketMount.Hosting;\n" : "";
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), hosting + Sample);
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;

        var output = await Shell.MustAsync(
            $"cd '{project}' && dotnet run -v q -- '{store}' '{mountPoint}' '{Path.Combine(_root, "cache")}'", timeout: TimeSpan.FromMinutes(8));

        StringAssert.Contains(output, "read back: written through the package");
        Assert.AreEqual("written through the package", await File.ReadAllTextAsync(Path.Combine(store, "from-the-package.txt")), "the first mount's unmount put it in the store");
        Assert.IsFalse(MountProcess.IsMounted(mountPoint), "disposing the second mount unmounted it");
    }
}
