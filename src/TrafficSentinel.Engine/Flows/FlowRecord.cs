using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Engine.Flows;

/// <summary>Per-flow detector state: a fixed block that the detector set carves into slices.</summary>
[InlineArray(Size)]
public struct DetectorStateBlock
{
    /// <summary>Bytes of detector state per flow, shared by all registered detectors.</summary>
    public const int Size = 192;

    private byte _element0;
}

[Flags]
public enum FlowFlags : byte
{
    None = 0,

    /// <summary>Endpoint A of the key is the client (it sent the first packet, or the SYN).</summary>
    ClientIsA = 0x01,
    FinFromA = 0x02,
    FinFromB = 0x04,
    Reset = 0x08,

    /// <summary>A detector matched; no further inspection.</summary>
    Decided = 0x10,

    /// <summary>Every detector gave up or ran out of budget.</summary>
    Undecidable = 0x20,

    /// <summary>The flow classifier has judged the flow (it does so once).</summary>
    Classified = 0x40,
}

/// <summary>
/// One bidirectional flow: counters per direction, timestamps, TCP state and the detectors'
/// fixed-size state. Unmanaged and of fixed size, so the table's memory is known from its capacity.
/// Directions are canonical: index 0 is A→B, index 1 is B→A; <see cref="ClientIsA"/> maps them to
/// client and server.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct FlowRecord
{
    public FlowKey Key;

    /// <summary>Unique per flow record within one engine run (EVE <c>flow_id</c>).</summary>
    public ulong Id;

    public long FirstSeenMicros;
    public long LastSeenMicros;

    public long PacketsAtoB;
    public long PacketsBtoA;
    public long BytesAtoB;
    public long BytesBtoA;

    /// <summary>Packets with transport payload, per direction (detectors count in these).</summary>
    public int PayloadPacketsAtoB;
    public int PayloadPacketsBtoA;

    /// <summary>Detectors (by index in the detector set) that gave up on this flow.</summary>
    public ulong ExcludedDetectors;

    /// <summary>Protocols (by index in the detector set) already alerted on this flow.</summary>
    public ulong AlertedProtocols;

    public FlowFlags Flags;
    public TcpFlags TcpFlagsAtoB;
    public TcpFlags TcpFlagsBtoA;

    /// <summary>ICMP type and code of the flow's first packet (for Community ID).</summary>
    public byte FirstIcmpType;
    public byte FirstIcmpCode;

    // Table bookkeeping: hash chain, the recency list the record is on, and when it was (re)queued there.
    internal long QueuedMicros;
    internal byte ListId;
    internal uint HashLow;
    internal int NextInBucket;
    internal int Previous;
    internal int Next;

    public DetectorStateBlock DetectorState;

    /// <summary>The flow classifier's accumulator (96 bytes), updated only when a classifier is configured.</summary>
    public Features.FlowFeatureState Features;

    public readonly bool ClientIsA => (Flags & FlowFlags.ClientIsA) != 0;

    public readonly long PacketsToServer => ClientIsA ? PacketsAtoB : PacketsBtoA;

    public readonly long PacketsToClient => ClientIsA ? PacketsBtoA : PacketsAtoB;

    public readonly long BytesToServer => ClientIsA ? BytesAtoB : BytesBtoA;

    public readonly long BytesToClient => ClientIsA ? BytesBtoA : BytesAtoB;

    public readonly long Packets => PacketsAtoB + PacketsBtoA;

    public readonly IpAddr ClientAddress => ClientIsA ? Key.AddressA : Key.AddressB;

    public readonly IpAddr ServerAddress => ClientIsA ? Key.AddressB : Key.AddressA;

    public readonly ushort ClientPort => ClientIsA ? Key.PortA : Key.PortB;

    public readonly ushort ServerPort => ClientIsA ? Key.PortB : Key.PortA;
}
