using TrafficSentinel.Engine.Detection;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// A detector that lives in the tests, to prove the pipeline end to end before the real detectors
/// exist: it matches a flow whose first client payload satisfies a predicate, and excludes it
/// otherwise. The predicate runs per packet here only because this is test code.
/// </summary>
internal sealed class TestDetector(string protocol, DetectorTransports transports, Func<ReadOnlySpan<byte>, bool> firstClientPayload) : FlowDetector
{
    private readonly Func<ReadOnlySpan<byte>, bool> _predicate = firstClientPayload.Invoke;

    public override string Protocol => protocol;

    public override string Category => "vpn";

    public override DetectorTransports Transports => transports;

    public override int PacketBudget => 4;

    public override int StateSize => 2;

    public static DetectorSet Set(params FlowDetector[] detectors) => new(detectors);

    /// <summary>WireGuard's handshake initiation: type 1, three zero bytes, 148 bytes.</summary>
    public static TestDetector WireGuardInitiation() =>
        new("wireguard", DetectorTransports.Udp, p => p.Length == 148 && p[0] == 1 && p[1] == 0 && p[2] == 0 && p[3] == 0);

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
    {
        if (!packet.FromClient)
        {
            return DetectorVerdict.Continue;
        }

        state[0] = (byte)packet.Payload.Length;
        state[1] = (byte)(packet.Payload.Length >> 8);
        if (!_predicate(packet.Payload))
        {
            return DetectorVerdict.Exclude;
        }

        match.Method = DetectionMethod.Signature;
        match.Confidence = 0.75f;
        match.EvidenceCode = 1;
        return DetectorVerdict.Match;
    }

    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) =>
        "test detector: first client payload of " + (state[0] | (state[1] << 8)) + " bytes matched";
}
