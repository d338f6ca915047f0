using TrafficSentinel.Cli.Commands;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests.Detectors;

/// <summary>
/// The OpenVPN detector replayed over real captures: the whole shared nDPI corpus and the project's
/// own captures (every variant, mid-flow copies, look-alikes), scored against labels.csv.
/// </summary>
public sealed class OpenVpnCaptureTests
{
    private static EvaluationResult Evaluate(string dir, params string[] files)
    {
        IReadOnlyList<string> paths = files.Length == 0 ? [dir] : [.. files.Select(f => Path.Combine(dir, f))];
        var console = new CliConsole(new StringWriter(), new StringWriter(), ErrorIsTerminal: false, OutIsTerminal: false);
        (_, EvaluationResult? result) = EvaluateCommand.Evaluate(
            paths,
            LabelSet.Load(Path.Combine(dir, "labels.csv")),
            new SensorSettings { Outputs = [] },
            console,
            new DetectorSet([new OpenVpnDetector()]));
        Assert.NotNull(result);
        return result;
    }

    private static string Describe(IEnumerable<FlowOutcome> outcomes) =>
        string.Join("\n", outcomes.Select(o => $"{o.Label.File} {o.Label.L4} {o.Label.ClientIp}:{o.Label.ClientPort} -> {o.Label.ServerIp}:{o.Label.ServerPort} {o.Label.Truth} -> {o.Predicted}"));

    [SkippableFact]
    public void NdpiCorpus_EveryOpenVpnFlowIsDetected_AndNoOtherFlowAlerts()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate(dir);

        FlowOutcome[] openvpn = [.. result.Outcomes.Where(o => o.Label.Truth == "openvpn")];
        Assert.Equal(16, openvpn.Length);
        FlowOutcome[] missed = [.. openvpn.Where(o => !o.Correct)];
        Assert.True(missed.Length == 0, "missed:\n" + Describe(missed));

        // No benign flow, no flow of another class and no unlabelled flow alerts.
        FlowOutcome[] wrong = [.. result.Outcomes.Where(o => o.Label.Truth != "openvpn" && o.Alerts.Count > 0)];
        Assert.True(wrong.Length == 0, "false alerts:\n" + Describe(wrong));
        Assert.Empty(result.UnlabelledAlerts);
    }

    [SkippableTheory]
    [InlineData("openvpn_obfuscated.pcapng", 3)]
    [InlineData("openvpn.pcap", 10)]
    public void NdpiCorpus_ObfuscatedAndAsymmetricFlows_AreDetected(string file, int flows)
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        EvaluationResult result = Evaluate(dir, file);
        Assert.Equal(flows, result.Outcomes.Count(o => o.Label.Truth == "openvpn" && o.Correct));
    }

    [Theory]
    [InlineData("openvpn-udp-1194-plain.pcap", "signature", "P_CONTROL_HARD_RESET_CLIENT_V2 → P_CONTROL_HARD_RESET_SERVER_V2, session id", "no HMAC; UDP")]
    [InlineData("openvpn-udp-1194-tls-auth.pcap", "signature", "echoed in the server's ACK array", "tls-auth HMAC 20 bytes")]
    [InlineData("openvpn-udp-53-tls-auth.pcap", "signature", "echoed in the server's ACK array", "tls-auth HMAC 20 bytes")]
    [InlineData("openvpn-udp-1194-tls-crypt.pcap", "signature", "tls-crypt, session ids", "replay packet-id increasing, net_time constant; UDP")]
    [InlineData("openvpn-udp-53-tls-crypt.pcap", "signature", "tls-crypt, session ids", "UDP")]
    [InlineData("openvpn-udp-1194-tls-crypt-v2.pcap", "signature", "P_CONTROL_HARD_RESET_CLIENT_V3", "tls-crypt-v2")]
    [InlineData("openvpn-tcp-1194-plain.pcap", "signature", "echoed", "no HMAC; TCP with 2-byte length framing")]
    [InlineData("openvpn-tcp-443-tls-auth.pcap", "signature", "echoed", "tls-auth HMAC 20 bytes")]
    [InlineData("openvpn-tcp-443-tls-crypt.pcap", "signature", "tls-crypt, session ids", "TCP with 2-byte length framing")]
    [InlineData("openvpn-tcp-1194-tls-crypt-v2.pcap", "signature", "P_CONTROL_HARD_RESET_CLIENT_V3", "tls-crypt-v2")]
    [InlineData("openvpn-udp-1194-plain-midflow.pcap", "heuristic", "data channel without handshake", "P_DATA_V2")]
    [InlineData("openvpn-udp-1194-tls-auth-midflow.pcap", "heuristic", "data channel without handshake", "UDP")]
    [InlineData("openvpn-udp-1194-tls-crypt-midflow.pcap", "heuristic", "data channel without handshake", "UDP")]
    [InlineData("openvpn-udp-1194-tls-crypt-v2-midflow.pcap", "heuristic", "data channel without handshake", "UDP")]
    [InlineData("openvpn-udp-53-tls-auth-midflow.pcap", "heuristic", "data channel without handshake", "UDP")]
    [InlineData("openvpn-udp-53-tls-crypt-midflow.pcap", "heuristic", "data channel without handshake", "UDP")]
    [InlineData("openvpn-tcp-1194-plain-midflow.pcap", "heuristic", "data channel without handshake", "TCP with 2-byte length framing")]
    [InlineData("openvpn-tcp-1194-tls-crypt-v2-midflow.pcap", "heuristic", "data channel without handshake", "TCP")]
    [InlineData("openvpn-tcp-443-tls-auth-midflow.pcap", "heuristic", "data channel without handshake", "TCP")]
    [InlineData("openvpn-tcp-443-tls-crypt-midflow.pcap", "heuristic", "data channel without handshake", "TCP")]
    public void ProjectCaptures_EachVariant_IsDetectedWithItsEvidence(string file, string method, string evidence, string more)
    {
        EvaluationResult result = Evaluate(TestEnvironment.ProjectCaptures, file);
        FlowOutcome flow = Assert.Single(result.Outcomes, o => o.Label.Truth == "openvpn");
        Assert.True(flow.Correct, Describe([flow]));
        Alerts.Detection detection = flow.Alerts[0].Detection;
        Assert.Equal(method, detection.Method);
        Assert.Contains(evidence, detection.Evidence);
        Assert.Contains(more, detection.Evidence);
        Assert.Empty(result.UnlabelledAlerts);
    }

    [Fact]
    public void ProjectCaptures_AllOpenVpnFlowsDetected_AndNoLookAlikeOrBenignFlowAlerts()
    {
        // Includes lookalike-tls-1194.pcap (a TLS server on 1194), DNS on 53, random UDP, HTTPS, SSH.
        EvaluationResult result = Evaluate(TestEnvironment.ProjectCaptures);
        FlowOutcome[] missed = [.. result.Outcomes.Where(o => o.Label.Truth == "openvpn" && !o.Correct)];
        Assert.True(missed.Length == 0, "missed:\n" + Describe(missed));
        Assert.True(result.Outcomes.Count(o => o.Label.Truth == "openvpn") >= 21);
        FlowOutcome[] wrong = [.. result.Outcomes.Where(o => o.Label.Truth != "openvpn" && o.Alerts.Count > 0)];
        Assert.True(wrong.Length == 0, "false alerts:\n" + Describe(wrong));
        Assert.Empty(result.UnlabelledAlerts);
    }

    [Fact]
    public void ProjectCaptures_TlsServerOnPort1194_DoesNotAlert()
    {
        EvaluationResult result = Evaluate(TestEnvironment.ProjectCaptures, "lookalike-tls-1194.pcap");
        Assert.NotEmpty(result.Outcomes);
        Assert.All(result.Outcomes, o => Assert.Empty(o.Alerts));
    }
}
