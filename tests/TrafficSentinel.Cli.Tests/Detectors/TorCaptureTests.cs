using TrafficSentinel.Alerts;
using TrafficSentinel.Cli.Commands;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Protocols.Tor;
using TrafficSentinel.TestSupport;
using Xunit.Abstractions;

namespace TrafficSentinel.Cli.Tests.Detectors;

/// <summary>The Tor detector over real captures: the shared nDPI corpus and the project's own.</summary>
public sealed class TorCaptureTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void NdpiCorpus_EveryTorFlowDetected_NoBenignOrUnlabelledAlert()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate([dir], Path.Combine(dir, "labels.csv"), new TorDetector());

        FlowOutcome[] tor = [.. result.Outcomes.Where(o => o.Label.Truth == "tor")];
        Assert.Equal(7, tor.Length);
        Assert.All(tor, o => Assert.Equal("tor", o.Predicted));
        Assert.All(tor, o => Assert.Equal("signature", o.Alerts[0].Detection.Method));
        Assert.Empty(result.BenignAlerts);
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableFact]
    public void NdpiTorPcap_EvidenceNamesSniCertificateAndCells()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate([Path.Combine(dir, "tor.pcap")], Path.Combine(dir, "labels.csv"), new TorDetector());

        // nDPI's missed flow 51174 → 212.83.155.250: SNI www.t3i3ru.com, link cert www.7d43ah2kikrabj.net issued by www.wohgpas45j6ucw.com.
        FlowOutcome flow = Assert.Single(result.Outcomes, o => o.Label.ClientPort == 51174);
        string evidence = Assert.Single(flow.Alerts).Detection.Evidence;
        Assert.Equal(
            "Tor link handshake: client SNI www.t3i3ru.com (random base32, 6 chars); relay link certificate CN=www.<14 random base32>.net "
            + "issued by CN=www.<14 random base32>.com, CN-only names, valid 74 days",
            evidence);
        Assert.Equal(0.95, flow.Alerts[0].Detection.Confidence, 3);
    }

    [SkippableFact]
    public void ProjectCaptures_BridgeHandshakeDetected_ObfuscatedAndMidflowHonestlyMissed_NoBenignAlert()
    {
        string dir = TestEnvironment.ProjectCaptures;
        TestEnvironment.Require(File.Exists(Path.Combine(dir, "labels.csv")), "the project captures are missing");
        EvaluationResult result = Evaluate([dir], Path.Combine(dir, "labels.csv"), new TorDetector());

        string[] detected = [.. result.Outcomes.Where(o => o.Label.Truth == "tor" && o.Predicted == "tor").Select(o => o.Label.File).Order(StringComparer.Ordinal)];
        string[] missed = [.. result.Outcomes.Where(o => o.Label.Truth == "tor" && o.Predicted != "tor").Select(o => o.Label.File).Order(StringComparer.Ordinal)];
        Assert.Equal(["demo-mixed.pcap", "tor-bridge-9001.pcap"], detected);

        // No TLS at all (obfs4), or no handshake in the capture (mid-flow copies): not decidable from the handshake.
        Assert.All(missed, f => Assert.True(f.Contains("obfs4", StringComparison.Ordinal) || f.Contains("midflow", StringComparison.Ordinal), f));
        Assert.Empty(result.BenignAlerts);
        Assert.Empty(result.UnlabelledAlerts);

        FlowOutcome bridge = Assert.Single(result.Outcomes, o => o.Label.File == "tor-bridge-9001.pcap");
        Alert alert = Assert.Single(bridge.Alerts);
        Assert.Equal("signature", alert.Detection.Method);
        // Tor draws a fresh random SNI on every run of the generator, so match its shape.
        Assert.Matches(@"^Tor link handshake: client SNI www\.[a-z2-7]{4,25}\.com \(random base32, \d+ chars\); TLS 1\.3 \(certificate encrypted\); "
            + @"records of whole 514-byte cells \(1 cell = 531 bytes on the wire\): \d+ from client, \d+ from server", alert.Detection.Evidence);
    }

    [SkippableFact]
    public void LookalikeWwwExampleCom_DoesNotAlert()
    {
        string dir = TestEnvironment.ProjectCaptures;
        string pcap = Path.Combine(dir, "lookalike-tls-www-example-com.pcap");
        TestEnvironment.Require(File.Exists(pcap), "the look-alike capture is missing");
        EvaluationResult result = Evaluate([pcap], Path.Combine(dir, "labels.csv"), new TorDetector());

        Assert.Equal(3, result.Outcomes.Count);
        Assert.Empty(result.BenignAlerts);
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableFact]
    public void RelayList_AttributesObfs4AndMidflowFlowsToAListedBridge_WithLowerConfidence()
    {
        string dir = TestEnvironment.ProjectCaptures;
        TestEnvironment.Require(File.Exists(Path.Combine(dir, "tor-obfs4-9443.pcap")), "the obfs4 capture is missing");
        TorRelayList relays = TorRelayList.Parse(["# our two bridges", BridgeOf(dir, "tor-obfs4-9443.pcap"), BridgeOf(dir, "tor-bridge-9001.pcap")]);
        string[] files = [.. new[] { "tor-obfs4-9443.pcap", "tor-obfs4-9443-midflow.pcap", "tor-bridge-9001-midflow.pcap", "tor-bridge-9001.pcap", "benign-https-tls13.pcap" }
            .Select(f => Path.Combine(dir, f))];
        EvaluationResult result = Evaluate(files, Path.Combine(dir, "labels.csv"), new TorDetector(relays));

        Assert.Empty(result.BenignAlerts);
        foreach (FlowOutcome o in result.Outcomes.Where(o => o.Label.Truth == "tor"))
        {
            Alert alert = Assert.Single(o.Alerts);
            bool handshake = o.Label.File == "tor-bridge-9001.pcap";
            Assert.Equal(handshake ? "signature" : "address-list", alert.Detection.Method);
            if (!handshake)
            {
                Assert.Equal(0.7, alert.Detection.Confidence, 3);
                Assert.Equal("server endpoint is a listed Tor relay (relay list); no Tor link handshake seen on this flow", alert.Detection.Evidence);
            }
        }
    }

    [SkippableFact]
    public void RelayList_PortMismatch_DoesNotMatch()
    {
        string dir = TestEnvironment.ProjectCaptures;
        TestEnvironment.Require(File.Exists(Path.Combine(dir, "tor-obfs4-9443.pcap")), "the obfs4 capture is missing");
        // The obfs4 bridge's address with another port.
        TorRelayList relays = TorRelayList.Parse([BridgeOf(dir, "tor-obfs4-9443.pcap").Split(':')[0] + ":9001"]);
        EvaluationResult result = Evaluate([Path.Combine(dir, "tor-obfs4-9443.pcap")], Path.Combine(dir, "labels.csv"), new TorDetector(relays));

        Assert.All(result.Outcomes, o => Assert.Empty(o.Alerts));
    }

    /// <summary>The server endpoint (IP:port) of the Tor flow in one of our captures, from labels.csv.</summary>
    private static string BridgeOf(string dir, string file)
    {
        FlowLabel label = Assert.Single(LabelSet.Load(Path.Combine(dir, "labels.csv")).Rows, r => r.File == file && r.Truth == "tor");
        return label.ServerIp + ":" + label.ServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private EvaluationResult Evaluate(IReadOnlyList<string> paths, string labels, TorDetector detector)
    {
        var stdout = new CliRunner.SyncWriter();
        var stderr = new CliRunner.SyncWriter();
        (_, EvaluationResult? result) = EvaluateCommand.Evaluate(
            paths, LabelSet.Load(labels), new SensorSettings { Outputs = [] }, new CliConsole(stdout, stderr, ErrorIsTerminal: false, OutIsTerminal: false),
            new DetectorSet([detector]));
        Assert.NotNull(result);
        var text = new StringWriter();
        result.Print(text);
        output.WriteLine(text.ToString());
        foreach (FlowOutcome o in result.Outcomes.Where(o => o.Alerts.Count > 0))
        {
            output.WriteLine($"{o.Label.File} {o.Label.ClientPort}->{o.Label.ServerIp}:{o.Label.ServerPort} {o.Label.Truth}: {o.Alerts[0].Detection.Method} {o.Alerts[0].Detection.Evidence}");
        }

        foreach (Alert a in result.UnlabelledAlerts)
        {
            output.WriteLine($"UNLABELLED {a.PcapFileName} {a.Flow}: {a.Detection.Evidence}");
        }

        output.WriteLine($"pool: acquired {detector.ReassemblyPool.Acquired}, exhausted {detector.ReassemblyPool.Exhausted}, overflows {detector.ReassemblyPool.Overflows}, in use {detector.ReassemblyPool.InUse}, failures {detector.ReassemblyFailures}");
        return result;
    }
}
