using System.Text.Json;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// <c>--threads N</c> splits flows among packet threads by a symmetric hash: whatever N, the same
/// packets, flows and alerts come out, and each flow's alert is the same.
/// </summary>
public sealed class ThreadedReplayTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("ts-threads-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Replay_WithPacketThreads_GivesTheSameCountsAndAlertsAsWithout(int threads)
    {
        string ndpi = TestEnvironment.RequireNdpiCaptures();
        string captures = TestEnvironment.ProjectCaptures;

        (CliResult single, string[] singleAlerts) = Replay(0, ndpi, captures);
        (CliResult threaded, string[] threadedAlerts) = Replay(threads, ndpi, captures);

        Assert.Equal(0, single.ExitCode);
        Assert.Equal(0, threaded.ExitCode);
        Assert.Equal(single.SummaryPackets, threaded.SummaryPackets);
        // The same flows; why they ended may differ (a packet thread's clock moves only with its own packets).
        Assert.Equal(FlowCount(single.Error), FlowCount(threaded.Error));
        Assert.Equal(Line(single.Error, "malformed"), Line(threaded.Error, "malformed"));
        Assert.Equal(Line(single.Error, "alerts"), Line(threaded.Error, "alerts"));
        Assert.NotEmpty(singleAlerts);
        Assert.Equal(singleAlerts, threadedAlerts);
    }

    private (CliResult Result, string[] Alerts) Replay(int threads, params string[] inputs)
    {
        string jsonl = Path.Combine(_temp, "t" + threads + ".jsonl");
        CliResult result = CliRunner.Run(null, ["replay", .. inputs, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "jsonl:" + jsonl]);
        string[] alerts = [.. File.ReadAllLines(jsonl).Select(Identity).Order(StringComparer.Ordinal)];
        return (result, alerts);
    }

    /// <summary>What identifies an alert whatever thread raised it (flow ids differ between engines).</summary>
    private static string Identity(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement e = doc.RootElement;
        return string.Join(" ", e.GetProperty("pcap_filename").GetString(), e.GetProperty("pcap_cnt").GetInt64(), e.GetProperty("community_id").GetString(),
            e.GetProperty("detection").GetProperty("protocol").GetString(), e.GetProperty("detection").GetProperty("evidence").GetString());
    }

    private static string Line(string summary, string row) =>
        summary.Split('\n').Single(l => l.StartsWith(row + " ", StringComparison.Ordinal));

    private static string FlowCount(string summary)
    {
        string flows = Line(summary, "flows");
        return flows[..flows.IndexOf(':', StringComparison.Ordinal)];
    }
}
