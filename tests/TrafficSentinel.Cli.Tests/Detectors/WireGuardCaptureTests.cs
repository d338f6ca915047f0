using TrafficSentinel.Alerts;
using TrafficSentinel.Cli.Commands;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.TestSupport;
using Xunit.Abstractions;

namespace TrafficSentinel.Cli.Tests.Detectors;

/// <summary>The WireGuard detector alone over real captures: the shared nDPI corpus and our own.</summary>
public sealed class WireGuardCaptureTests(ITestOutputHelper output)
{
    private const string WireGuard = "wireguard";

    [SkippableFact]
    public void NdpiCorpus_EveryWireGuardFlowDetected_NoOtherFlowAlerts()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate(Path.Combine(dir, "labels.csv"), [dir]);

        ClassMetrics m = result.Metrics(WireGuard);
        Assert.Equal(5, m.Flows);
        Assert.Equal(m.Flows, m.TruePositives);
        Assert.Equal(0, m.FalsePositives);
        Assert.Empty(result.BenignAlerts);
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableFact]
    public void NdpiCorpus_EachVariant_DecidedByTheExpectedEvidence()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate(Path.Combine(dir, "labels.csv"), [dir]);
        IReadOnlyList<FlowOutcome> wg = [.. result.Outcomes.Where(o => o.Label.Truth == WireGuard)];

        // wireguard.pcap: a full handshake in view, and a flow recorded mid-session.
        AssertAlert(wg, "wireguard.pcap", 43462, "signature", "WireGuard handshake: initiation from client with sender index 0x30d037d8 → response from server with receiver index 0x30d037d8 (echoed), sender index 0xab7df406; mac2 zero", 2);
        AssertAlert(wg, "wireguard.pcap", 36116, "heuristic", "transport data, handshake not in view", 6);

        // ProtonVPN on UDP/443: handshake.
        AssertAlert(wg, "protonvpn.pcap", 57701, "signature", "response from server", 2);

        // Tailscale: transport only, disco messages in between.
        AssertAlert(wg, "tailscale.pcap", 41641, "heuristic", "Tailscale disco", 22);

        // Cloudflare WARP: 0xc2 response's index and routing id echoed in the initiator's 0xc4.
        AssertAlert(wg, "cloudflare-warp.pcap", 60555, "signature", "Cloudflare WARP WireGuard (types 0xc1-0xc4): 0xc2 response from server with sender index 0x00ee8468 → transport data from client to receiver index 0x00ee8468 (counter 1), routing id 0x00007802 echoed", 3);
    }

    [SkippableFact]
    public void ProjectCaptures_EveryWireGuardFlowDetected_NoOtherFlowAlerts()
    {
        string dir = TestEnvironment.ProjectCaptures;
        TestEnvironment.Require(File.Exists(Path.Combine(dir, "labels.csv")), "project captures missing");
        EvaluationResult result = Evaluate(Path.Combine(dir, "labels.csv"), [dir]);

        ClassMetrics m = result.Metrics(WireGuard);
        Assert.True(m.Flows >= 8, $"expected our WireGuard captures, found {m.Flows} flows");
        Assert.Equal(m.Flows, m.TruePositives);
        Assert.Equal(0, m.FalsePositives);
        Assert.Empty(result.BenignAlerts);
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableTheory]
    [InlineData("wireguard-udp-51820.pcap", "signature", "handshake: initiation from client")]
    [InlineData("wireguard-udp6-51820.pcap", "signature", "handshake: initiation from client")]
    [InlineData("wireguard-udp-443.pcap", "signature", "handshake: initiation from client")]
    [InlineData("wireguard-udp-53.pcap", "signature", "handshake: initiation from client")]
    [InlineData("wireguard-udp-51820-midflow.pcap", "heuristic", "every length 32+16k")]
    [InlineData("wireguard-udp6-51820-midflow.pcap", "heuristic", "every length 32+16k")]
    [InlineData("wireguard-udp-443-midflow.pcap", "heuristic", "every length 32+16k")]
    [InlineData("wireguard-udp-53-midflow.pcap", "heuristic", "every length 32+16k")]
    [InlineData("wireguard-udp-51820-after-handshake.pcap", "heuristic", "every length 32+16k")]
    public void ProjectCapture_Detected(string file, string method, string evidence)
    {
        string dir = TestEnvironment.ProjectCaptures;
        string pcap = Path.Combine(dir, file);
        TestEnvironment.Require(File.Exists(pcap), $"{pcap} missing");
        EvaluationResult result = Evaluate(Path.Combine(dir, "labels.csv"), [pcap]);

        FlowOutcome flow = Assert.Single(result.Outcomes, o => o.Label.Truth == WireGuard);
        Alert alert = Assert.Single(flow.Alerts);
        Assert.Equal(method, alert.Detection.Method);
        Assert.Contains(evidence, alert.Detection.Evidence, StringComparison.Ordinal);
        output.WriteLine($"{file}: {alert.Detection.Evidence}");
    }

    [SkippableTheory]
    [InlineData("lookalike-random-udp-51820.pcap")]
    [InlineData("benign-dns.pcap")]
    [InlineData("benign-iperf3-udp.pcap")]
    [InlineData("ipsec-ikev2-udp-500-4500.pcap")]
    [InlineData("openvpn-udp-1194-plain.pcap")]
    public void ProjectLookAlike_NoAlert(string file)
    {
        string pcap = Path.Combine(TestEnvironment.ProjectCaptures, file);
        TestEnvironment.Require(File.Exists(pcap), $"{pcap} missing");
        EvaluationResult result = Evaluate(Path.Combine(TestEnvironment.ProjectCaptures, "labels.csv"), [pcap]);

        Assert.NotEmpty(result.Outcomes);
        Assert.All(result.Outcomes, o => Assert.Empty(o.Alerts));
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableTheory]
    [InlineData("dns_ambiguous_names.pcap")]
    [InlineData("dns-tunnel-iodine.pcap")]
    [InlineData("quic-mvfst-27.pcapng")]
    [InlineData("quic-v2.pcapng")]
    [InlineData("quic_0RTT.pcap")]
    [InlineData("stun_classic.pcap")]
    [InlineData("stun_dtls_rtp.pcapng")]
    [InlineData("stun_zoom.pcapng")]
    [InlineData("rtp.pcapng")]
    public void NdpiLookAlike_NoAlert(string file)
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        string pcap = Path.Combine(dir, file);
        TestEnvironment.Require(File.Exists(pcap), $"{pcap} missing");
        EvaluationResult result = Evaluate(Path.Combine(dir, "labels.csv"), [pcap]);

        Assert.NotEmpty(result.Outcomes);
        Assert.All(result.Outcomes, o => Assert.Empty(o.Alerts));
        Assert.Empty(result.UnlabelledAlerts);
    }

    private static void AssertAlert(IReadOnlyList<FlowOutcome> flows, string file, ushort port, string method, string evidence, long packets)
    {
        FlowOutcome flow = Assert.Single(flows, o => o.Label.File == file && (o.Label.ClientPort == port || o.Label.ServerPort == port));

        // A flow idle past the engine's timeout starts again and may alert again (wireguard.pcap's rekey).
        Alert alert = flow.Alerts[0];
        Assert.Equal(WireGuard, alert.Detection.Protocol);
        Assert.Equal("vpn", alert.Detection.Category);
        Assert.Equal(method, alert.Detection.Method);
        Assert.Contains(evidence, alert.Detection.Evidence, StringComparison.Ordinal);
        Assert.Equal(packets, alert.Counters.PacketsToServer + alert.Counters.PacketsToClient);
    }

    private EvaluationResult Evaluate(string labels, IReadOnlyList<string> paths)
    {
        var console = new CliConsole(new StringWriter(), new StringWriter(), ErrorIsTerminal: false, OutIsTerminal: false);
        (_, EvaluationResult? result) = EvaluateCommand.Evaluate(paths, LabelSet.Load(labels), new SensorSettings { Outputs = [] }, console, new DetectorSet([new WireGuardDetector()]));
        Assert.NotNull(result);
        var text = new StringWriter();
        result.Print(text);
        output.WriteLine(text.ToString());
        foreach (FlowOutcome o in result.Outcomes.Where(o => o.Alerts.Count > 0))
        {
            output.WriteLine($"{o.Label.File} {o.Label.ClientPort}->{o.Label.ServerPort} [{o.Label.Truth}] {o.Alerts[0].Detection.Method} {o.Alerts[0].Detection.Confidence}: {o.Alerts[0].Detection.Evidence}");
        }

        return result;
    }
}
