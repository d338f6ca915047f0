using System.Globalization;
using System.Text.Json;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// <c>sentinel live</c> on one end of a veth pair whose other end is in a network namespace the
/// test creates: traffic sent from the namespace is seen as packets, flows and alerts.
/// </summary>
public sealed class LiveCommandTests
{
    [SkippableTheory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(0, true)]
    [InlineData(2, true)]
    public async Task Live_TrafficAcrossAVethPair_IsSeenAsPacketsFlowsAndAlerts(int threads, bool idleTimeout)
    {
        // With idleTimeout the flows must end as idle while no packet arrives: packet time follows
        // the wall clock, on the capture thread or, with packet threads, through their clock ticks.
        using VethPair veth = VethPair.Create();
        string jsonl = Path.Combine(Path.GetTempPath(), "ts-live-" + Guid.NewGuid().ToString("N") + ".jsonl");
        var detector = new TestDetector("test-live", DetectorTransports.Udp, p => p.StartsWith("xxxx"u8));
        int[] ports = [40001, 40002, 40003];
        using var stop = new CancellationTokenSource();
        var stderr = new CliRunner.SyncWriter();
        var stdout = new CliRunner.SyncWriter();
        Task<int> run = Task.Run(() => Program.Run(
            ["live", "-i", veth.HostInterface, "-f", "udp", "-o", "jsonl:" + jsonl, "--stats-interval", "0", "--duration", "60",
                "--threads", threads.ToString(CultureInfo.InvariantCulture), "--idle-timeout", idleTimeout ? "1" : "120"],
            new Runtime.CliConsole(stdout, stderr, false, false),
            new DetectorSet([detector]),
            stop.Token));
        try
        {
            await WaitUntil(() => stderr.ToString().Contains("capturing on", StringComparison.Ordinal) || run.IsCompleted, TimeSpan.FromSeconds(30));
            Assert.False(run.IsCompleted, "live stopped early: " + stderr);
            await Task.Delay(300);

            // Listeners on the host side, so that no ICMP port-unreachable refuses the sender's next datagram.
            using var listeners = new DisposableList(ports.Select(p => new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(veth.HostAddress, p))));

            // Four datagrams per port from one socket (one flow each); bash's /dev/udp needs no other tool.
            string payload = new('x', 64);
            foreach (int port in ports)
            {
                veth.Exec("exec bash -c 'exec 3>/dev/udp/" + veth.HostAddress + "/" + port.ToString(CultureInfo.InvariantCulture)
                    + "; for i in 1 2 3 4; do printf %s " + payload + " >&3; done'");
            }

            await Task.Delay(idleTimeout ? 4000 : 1000);
        }
        finally
        {
            await stop.CancelAsync();
        }

        int exit = await run.WaitAsync(TimeSpan.FromSeconds(30));
        string error = stderr.ToString();
        Assert.True(exit == 0, error);
        Assert.Contains("capturing on " + veth.HostInterface, error, StringComparison.Ordinal);
        if (threads > 0)
        {
            Assert.Contains(threads + " packet threads; Ctrl-C stops", error, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^input +1 source, 12 packets, .*, " + threads + " packet threads$", error);
        }

        Assert.Matches(@"(?m)^input +1 source, 12 packets,", error);
        Assert.Matches(idleTimeout ? @"(?m)^flows +3 flows: 0 at end of input, 3 idle," : @"(?m)^flows +3 flows: 3 at end of input", error);
        Assert.Matches(@"(?m)^kernel +\d+ received, 0 dropped", error);
        Assert.Matches(@"(?m)^alerts +3: test-live 3$", error);
        string[] alerts = File.ReadAllLines(jsonl);
        File.Delete(jsonl);
        Assert.Equal(3, alerts.Length);
        foreach (string line in alerts)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            Assert.Equal(veth.PeerAddress.ToString(), doc.RootElement.GetProperty("src_ip").GetString());
            Assert.Equal(veth.HostAddress.ToString(), doc.RootElement.GetProperty("dest_ip").GetString());
            Assert.Contains(doc.RootElement.GetProperty("dest_port").GetInt32(), ports);
            Assert.False(doc.RootElement.TryGetProperty("pcap_filename", out _));
        }
    }

    [SkippableTheory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Live_StoppedBySignal_FlushesAndPrintsTheSummaryWithKernelCounters(string signal)
    {
        using VethPair veth = VethPair.Create();
        string sentinel = Path.Combine(AppContext.BaseDirectory, "sentinel.dll");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", [sentinel, "live", "-i", veth.HostInterface, "-f", "udp", "--stats-interval", "0", "-o", "jsonl:/dev/null"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(info)!;
        var stderr = new CliRunner.SyncWriter();
        process.ErrorDataReceived += (_, e) => stderr.WriteLine(e.Data);
        process.BeginErrorReadLine();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            await WaitUntil(() => stderr.ToString().Contains("capturing on", StringComparison.Ordinal) || process.HasExited, TimeSpan.FromSeconds(60));
            Assert.False(process.HasExited, "sentinel live exited early: " + stderr);
            using var listener = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(veth.HostAddress, 40100));
            veth.Exec("exec bash -c 'exec 3>/dev/udp/" + veth.HostAddress + "/40100; for i in 1 2 3; do printf %s hello >&3; done'");
            await Task.Delay(500);

            using System.Diagnostics.Process kill = System.Diagnostics.Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        process.WaitForExit();
        string error = stderr.ToString();
        Assert.True(process.ExitCode == 0, "exit " + process.ExitCode.ToString(CultureInfo.InvariantCulture) + ": " + error);
        Assert.Matches(@"(?m)^input +1 source, 3 packets,", error);
        Assert.Matches(@"(?m)^flows +1 flows: 1 at end of input", error);
        Assert.Matches(@"(?m)^kernel +\d+ received, 0 dropped", error);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await stdout);
    }

    private sealed class DisposableList(IEnumerable<IDisposable> items) : IDisposable
    {
        private readonly List<IDisposable> _items = [.. items];

        public void Dispose() => _items.ForEach(i => i.Dispose());
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met within " + timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s");
            }

            await Task.Delay(50);
        }
    }
}
