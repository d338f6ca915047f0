using System.Globalization;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// <c>sentinel live</c> on one end of a veth pair while tcpreplay sends one of our captures into
/// the other end at a fixed rate, from a network namespace the test creates: every packet is seen,
/// the kernel drops none, and the tunnels in the capture are detected. The rate the sensor sustains
/// is measured by <c>benchmarks/live-rate.sh</c>; this test holds a modest rate with every packet kept.
/// </summary>
public sealed class LiveReplayRateTests
{
    private const int PacketsPerSecond = 50_000;
    private const int Loops = 100;

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Live_CaptureReplayedByTcpreplay_KeepsEveryPacketAndFindsTheTunnels(int threads)
    {
        string pcap = Path.Combine(TestEnvironment.ProjectCaptures, "demo-mixed.pcap");
        TestEnvironment.Require(File.Exists(pcap), "captures/demo-mixed.pcap is missing");
        string? tcpreplay = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "tcpreplay")).FirstOrDefault(File.Exists);
        TestEnvironment.Require(tcpreplay is not null, "tcpreplay (Debian package tcpreplay) is installed by ./test.sh");
        using VethPair veth = VethPair.Create();
        long perLoop = ReplayCommandTests.CountPackets(pcap);

        using var stop = new CancellationTokenSource();
        var stderr = new CliRunner.SyncWriter();
        Task<int> run = Task.Run(() => Program.Run(
            ["live", "-i", veth.HostInterface, "--no-ml", "--stats-interval", "0", "-o", "jsonl:/dev/null", "--threads", threads.ToString(CultureInfo.InvariantCulture)],
            new Runtime.CliConsole(new CliRunner.SyncWriter(), stderr, false, false),
            DetectorRegistry.CreateDefault(),
            stop.Token));
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (!stderr.ToString().Contains("capturing on", StringComparison.Ordinal) && !run.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.False(run.IsCompleted, "live stopped early: " + stderr);
            string sent = veth.Exec(
                tcpreplay + " -q -i " + veth.PeerInterface + " --pps=" + PacketsPerSecond.ToString(CultureInfo.InvariantCulture)
                + " --loop=" + Loops.ToString(CultureInfo.InvariantCulture) + " " + pcap + " 2>&1", TimeSpan.FromSeconds(120));
            Assert.Matches(@"(?m)^\s*Failed packets:\s+0\s*$", sent);
            await Task.Delay(1000);
        }
        finally
        {
            await stop.CancelAsync();
        }

        int exit = await run.WaitAsync(TimeSpan.FromSeconds(60));
        string error = stderr.ToString();
        Assert.True(exit == 0, error);
        long expected = perLoop * Loops;
        Assert.Matches(@"(?m)^input +1 source, " + expected.ToString("N0", CultureInfo.InvariantCulture) + " packets,", error);
        Assert.Matches(@"(?m)^kernel +" + expected.ToString("N0", CultureInfo.InvariantCulture) + " received, 0 dropped", error);

        // The same flows come back every loop (one flow each: same addresses and ports), so each tunnel alerts once.
        Assert.Matches(@"(?m)^alerts +3: openvpn 1, tor 1, wireguard 1$", error);
    }
}
