using TrafficSentinel.Classifier;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Training;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests.Training;

/// <summary>
/// Training examples carry what the detectors said of the same flow in the same replay, for the
/// model card's whole-pipeline figures: committed captures whose detector verdicts are known.
/// </summary>
public sealed class TrainingSetTests
{
    private static (List<Example> Examples, int Unlabelled) Build(bool withDetectors, params string[] names)
    {
        string captures = TestEnvironment.ProjectCaptures;
        string labels = Path.Combine(captures, "labels.csv");
        (List<Example> examples, _, int unlabelled) = TrainingSet.Build(
            [.. names.Select(n => Path.Combine(captures, n))], [(labels, LabelSet.Load(labels))], [10], 32, null, TextWriter.Null,
            withDetectors ? () => DetectorRegistry.CreateDefault() : null);
        return (examples, unlabelled);
    }

    [Fact]
    public void Examples_KnowWhichFlowsTheDetectorsReported()
    {
        (List<Example> examples, int unlabelled) = Build(withDetectors: true, "openvpn-udp-1194-tls-crypt.pcap", "wireguard-udp-51820.pcap", "benign-https-tls13.pcap");

        Assert.Equal(0, unlabelled);
        // Whole flows: the handshake is there, so the signature detectors report both tunnels.
        Assert.All(examples.Where(e => e.Truth == "openvpn" && e.Skipped == 0), e => Assert.Equal("openvpn", e.Detected));
        Assert.All(examples.Where(e => e.Truth == "wireguard" && e.Skipped == 0), e => Assert.Equal("wireguard", e.Detected));
        Assert.Contains(examples, e => e.Truth == "openvpn" && e.Skipped == 0);
        Assert.Contains(examples, e => e.Truth == "wireguard" && e.Skipped == 0);
        // Benign HTTPS is reported by nothing, whole or trimmed.
        Assert.All(examples.Where(e => e.Class == FlowClasses.Benign), e => Assert.Equal(string.Empty, e.Detected));
        Assert.Contains(examples, e => e.Class == FlowClasses.Benign && e.Skipped == 10);
    }

    [Fact]
    public void WithoutDetectors_NoExampleIsMarkedDetected()
    {
        (List<Example> examples, _) = Build(withDetectors: false, "openvpn-udp-1194-tls-crypt.pcap");
        Assert.NotEmpty(examples);
        Assert.All(examples, e => Assert.Equal(string.Empty, e.Detected));
    }
}
