using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Proves bench/run works end to end (its quick mode, bucketmount and the direct row only): it measures nothing
/// here, it checks that every workload ran, read back the right bytes and produced its row.
/// </summary>
[TestClass]
public sealed class BenchSmokeTests
{
    [TestMethod]
    public async Task Bench_run_quick_writes_a_row_for_every_workload_without_problems()
    {
        var repository = Path.GetDirectoryName(EmulatorProcess.EmulatorsDirectory.TrimEnd('/'))!;
        repository = Path.GetDirectoryName(repository)!;
        var table = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Environment.ProcessId}.md");
        try
        {
            var (code, output, error) = await Shell.RunAsync($"bash bench/run --quick --contenders direct,bucketmount --out '{table}'", repository, TimeSpan.FromMinutes(10));

            Assert.AreEqual(0, code, $"bench/run failed:\n{error}\n{output}");
            var text = await File.ReadAllTextAsync(table);
            foreach (var workload in new[] { "a. write", "b. cold sequential read", "c. warm re-read", "d. create", "e. ls -l", "f. untar", "f. read back", "g. sqlite3", "h. fio", "i. rename", "j. 2 readers", "k. first ls -l" })
            {
                StringAssert.Contains(text, $"| {workload}", $"no row for '{workload}' in:\n{text}");
            }

            StringAssert.Contains(text, "| b. cold sequential read | direct |");
            Assert.DoesNotContain("Problems seen", text, text);
        }
        finally
        {
            File.Delete(table);
        }
    }
}
