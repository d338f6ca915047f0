namespace TrafficSentinel.Engine.Detection;

/// <summary>
/// A protocol detector: a small state machine over one flow's packets. Each detector declares the
/// transports it wants, how many payload packets it may look at before giving up, and how many
/// bytes of per-flow state it needs; the engine keeps that state inside the flow record and hands
/// it back as a span. <see cref="Inspect"/> runs per packet: it must not allocate or throw.
/// </summary>
public abstract class FlowDetector
{
    /// <summary>Class name as in the <c>truth</c> column of labels.csv: openvpn, wireguard, tor, ...</summary>
    public abstract string Protocol { get; }

    /// <summary>vpn, anonymizer, proxy, ...</summary>
    public abstract string Category { get; }

    public abstract DetectorTransports Transports { get; }

    /// <summary>Payload packets (both directions) after which the detector gives up on a flow.</summary>
    public abstract int PacketBudget { get; }

    /// <summary>Bytes of per-flow state; the span passed to <see cref="Inspect"/> has this length, zeroed at flow start.</summary>
    public abstract int StateSize { get; }

    /// <summary>A short name for statistics and logs (defaults to the protocol).</summary>
    public virtual string Name => Protocol;

    public abstract DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match);

    /// <summary>
    /// Called when a flow ends, for detectors that hold resources outside the flow (a pooled
    /// reassembly buffer, say): release them here. Most detectors need nothing. Runs for every
    /// detector of the flow's transport, whatever it decided; must not throw.
    /// </summary>
    public virtual void OnFlowEnded(Span<byte> state)
    {
    }

    /// <summary>True when <see cref="OnFlowEnded"/> does something; the engine skips the call otherwise.</summary>
    public virtual bool WantsFlowEnd => false;

    /// <summary>Cold path: human-readable evidence for a match, e.g. "HARD_RESET_CLIENT_V2 → SERVER_V2, session id echoed".</summary>
    public abstract string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match);
}
