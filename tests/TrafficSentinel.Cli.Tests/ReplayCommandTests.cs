using System.Globalization;
using System.Net;
using System.Text.Json;
using TrafficSentinel.Alerts;
using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("ts-cli-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [SkippableFact]
    public void Replay_WireGuardCapture_EmitsEveAlertsFromTheTestDetector()
    {
        string pcap = Path.Combine(TestEnvironment.RequireNdpiCaptures(), "wireguard.pcap");
        string jsonl = Path.Combine(_temp, "alerts.jsonl");

        CliResult result = CliRunner.Run(TestDetector.Set(TestDetector.WireGuardInitiation()), "replay", pcap, "-o", "jsonl:" + jsonl, "-o", "console");

        Assert.Equal(0, result.ExitCode);
        result.AssertNoStackTrace();
        (long number, PacketInfo first) = FirstPacketWhere(pcap, (info, payload) => info.PayloadLength == 148 && payload[0] == 1);
        string line = Assert.Single(File.ReadAllLines(jsonl));
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement eve = doc.RootElement;
        Assert.Equal("alert", eve.GetProperty("event_type").GetString());
        Assert.Equal(first.Source.ToIPAddress(first.IpVersion).ToString(), eve.GetProperty("src_ip").GetString());
        Assert.Equal(first.SourcePort, eve.GetProperty("src_port").GetInt32());
        Assert.Equal(first.Destination.ToIPAddress(first.IpVersion).ToString(), eve.GetProperty("dest_ip").GetString());
        Assert.Equal(first.DestinationPort, eve.GetProperty("dest_port").GetInt32());
        Assert.Equal("UDP", eve.GetProperty("proto").GetString());
        Assert.Equal(pcap, eve.GetProperty("pcap_filename").GetString());
        Assert.Equal(number, eve.GetProperty("pcap_cnt").GetInt64());
        string expectedId = CommunityId.Compute(
            first.Source.ToIPAddress(first.IpVersion), first.Destination.ToIPAddress(first.IpVersion), first.SourcePort, first.DestinationPort, IpProtocol.Udp);
        Assert.Equal(expectedId, eve.GetProperty("community_id").GetString());
        JsonElement detection = eve.GetProperty("detection");
        Assert.Equal("wireguard", detection.GetProperty("protocol").GetString());
        Assert.Equal("vpn", detection.GetProperty("category").GetString());
        Assert.Equal("signature", detection.GetProperty("method").GetString());
        Assert.Equal(0.75, detection.GetProperty("confidence").GetDouble(), 3);
        Assert.Equal("test detector: first client payload of 148 bytes matched", detection.GetProperty("evidence").GetString());
        Assert.Equal(1, eve.GetProperty("flow").GetProperty("pkts_toserver").GetInt64());

        // The console sink printed the same alert, and the summary counts it.
        Assert.Contains(first.DestinationPort.ToString(CultureInfo.InvariantCulture), result.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^alerts +1: wireguard 1$", result.Error);
    }

    [SkippableFact]
    public void Replay_TruncatedCapture_ReportsWhereItBrokeAndKeepsEarlierAlerts()
    {
        string source = Path.Combine(TestEnvironment.RequireNdpiCaptures(), "wireguard.pcap");
        (long alertPacket, _) = FirstPacketWhere(source, (info, payload) => info.PayloadLength == 148 && payload[0] == 1);
        long total = CountPackets(source);
        Assert.True(total > alertPacket + 2, "the capture must go on past the handshake");

        // Cut the file in the middle of the last packet.
        byte[] bytes = File.ReadAllBytes(source);
        string cut = Path.Combine(_temp, "cut.pcap");
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        string jsonl = Path.Combine(_temp, "alerts.jsonl");

        CliResult result = CliRunner.Run(TestDetector.Set(TestDetector.WireGuardInitiation()), "replay", cut, "-o", "jsonl:" + jsonl);

        Assert.Equal(1, result.ExitCode);
        result.AssertNoStackTrace();
        Assert.Contains(cut + ": broken after packet " + (total - 1).ToString(CultureInfo.InvariantCulture) + ":", result.Error, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(jsonl));
        Assert.Equal(total - 1, result.SummaryPackets);
    }

    [SkippableFact]
    public void Replay_ABadFileAmongGoodOnes_SaysWhyInOneLineAndGoesOn()
    {
        string ndpi = TestEnvironment.RequireNdpiCaptures();
        string notACapture = Path.Combine(_temp, "notes.pcap");
        File.WriteAllText(notACapture, "this is not a capture file, it only has a .pcap name\n");
        string good = Path.Combine(ndpi, "wireguard.pcap");

        CliResult result = CliRunner.Run(TestDetector.Set(TestDetector.WireGuardInitiation()), "replay", notACapture, good, "-o", "jsonl:" + Path.Combine(_temp, "a.jsonl"));

        Assert.Equal(1, result.ExitCode);
        result.AssertNoStackTrace();
        string errorLine = Assert.Single(result.Error.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: " + notACapture + ": ", errorLine, StringComparison.Ordinal);
        Assert.Equal(CountPackets(good), result.SummaryPackets);
        Assert.Matches(@"(?m)^alerts +1: wireguard 1$", result.Error);
    }

    [Fact]
    public void Replay_MissingPath_CannotStart()
    {
        CliResult result = CliRunner.Run(null, "replay", Path.Combine(_temp, "nope.pcap"));

        Assert.Equal(3, result.ExitCode);
        result.AssertNoStackTrace();
        Assert.Contains("nope.pcap", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("replay", "x.pcap", "--output", "bogus")]
    [InlineData("replay", "x.pcap", "--max-flows", "0")]
    [InlineData("live")]
    [InlineData("frobnicate")]
    public void BadCommandLines_ExitWithUsageError(params string[] args)
    {
        CliResult result = CliRunner.Run(null, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: ", result.Error, StringComparison.Ordinal);
        result.AssertNoStackTrace();
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("replay", "--help")]
    [InlineData("live", "--help")]
    [InlineData("interfaces", "--help")]
    public void Help_IsAvailableOnEveryCommand(params string[] args)
    {
        CliResult result = CliRunner.Run(null, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Out, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Replay_FailingSink_NeverStallsCaptureAndIsReported()
    {
        string pcap = Path.Combine(TestEnvironment.RequireNdpiCaptures(), "wireguard.pcap");
        // A TCP syslog sink on a loopback port nobody listens on: every write fails.
        int port = FreeTcpPort();

        CliResult result = CliRunner.Run(TestDetector.Set(TestDetector.WireGuardInitiation()), "replay", pcap, "-o", "syslog:tcp://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "-o", "jsonl:" + Path.Combine(_temp, "ok.jsonl"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(CountPackets(pcap), result.SummaryPackets);
        Assert.Matches(@"(?m)^sink +syslog\S* *: 0 written, 0 dropped, 1 failed", result.Error);
        Assert.Matches(@"(?m)^sink +jsonl\S* *: 1 written, 0 dropped, 0 failed", result.Error);
    }

    [SkippableFact]
    public void Replay_WholeNdpiCorpus_ReadsEveryPacketWithoutAnException()
    {
        string ndpi = TestEnvironment.RequireNdpiCaptures();
        long expected = 0;
        foreach (string line in File.ReadLines(Path.Combine(ndpi, "files.csv")).Skip(1))
        {
            expected += long.Parse(line.Split(',')[4], CultureInfo.InvariantCulture);
        }

        CliResult result = CliRunner.Run(null, "replay", ndpi, "-o", "jsonl:" + Path.Combine(_temp, "all.jsonl"));

        Assert.Equal(0, result.ExitCode);
        result.AssertNoStackTrace();
        Assert.Equal(expected, result.SummaryPackets);
        Assert.Matches(@"(?m)^malformed +0 packets$", result.Error);
    }

    internal static (long Number, PacketInfo Info) FirstPacketWhere(string pcap, Func<PacketInfo, byte[], bool> predicate)
    {
        using CaptureFileSource source = CaptureFileSource.Open(pcap);
        while (source.ReadNext(out RawPacket packet) == ReadStatus.Packet)
        {
            if (PacketDecoder.TryDecode(source.LinkType, packet.Data, out PacketInfo info) == DecodeStatus.Ok
                && predicate(info, info.Payload(packet.Data).ToArray()))
            {
                return (packet.Number, info);
            }
        }

        throw new InvalidOperationException("no such packet in " + pcap);
    }

    internal static long CountPackets(string pcap)
    {
        using CaptureFileSource source = CaptureFileSource.Open(pcap);
        while (source.ReadNext(out _) == ReadStatus.Packet)
        {
        }

        return source.PacketsRead;
    }

    private static int FreeTcpPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
