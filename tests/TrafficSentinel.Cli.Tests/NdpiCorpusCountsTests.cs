using System.Diagnostics;
using System.Globalization;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// Replaying each capture of the shared nDPI corpus counts exactly the packets capinfos (tshark)
/// counts in it. Where libpcap cannot read a file, the run says why in one line and exits 1.
/// </summary>
public sealed class NdpiCorpusCountsTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        string dir = TestEnvironment.NdpiCaptures;
        if (File.Exists(Path.Combine(dir, "files.csv")))
        {
            foreach (string line in File.ReadLines(Path.Combine(dir, "files.csv")).Skip(1))
            {
                data.Add(line.Split(',')[0]);
            }
        }
        else
        {
            data.Add("(corpus missing)");
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Replay_EachFile_CountsWhatCapinfosCounts(string file)
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        string path = Path.Combine(dir, file);
        long expected = Capinfos(path) ?? ExpectedFromFilesCsv(dir, file);

        CliResult result = CliRunner.Run(null, "replay", path, "-o", "jsonl:/dev/null");

        result.AssertNoStackTrace();
        if (result.ExitCode == 0)
        {
            Assert.Equal(expected, result.SummaryPackets);
        }
        else
        {
            Assert.Equal(1, result.ExitCode);
            Assert.Single(result.Error.Split('\n'), l => l.StartsWith("error: " + path + ": ", StringComparison.Ordinal));
        }
    }

    private static long ExpectedFromFilesCsv(string dir, string file)
    {
        foreach (string line in File.ReadLines(Path.Combine(dir, "files.csv")))
        {
            string[] fields = line.Split(',');
            if (fields[0] == file)
            {
                return long.Parse(fields[4], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException(file + " is not in files.csv");
    }

    /// <summary>capinfos's packet count, or null when tshark's capinfos is not installed.</summary>
    private static long? Capinfos(string path)
    {
        string? capinfos = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Combine(d, "capinfos")).FirstOrDefault(File.Exists);
        if (capinfos is null)
        {
            TestEnvironment.Require(!TestEnvironment.IsCi, "capinfos (Debian package tshark) is installed by ./test.sh");
            return null;
        }

        var info = new ProcessStartInfo(capinfos, ["-c", "-M", "-T", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // -T: a header row, then "file<TAB>count".
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(lines[^1].Split('\t')[^1], CultureInfo.InvariantCulture);
    }
}
