using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Detection;

/// <summary>
/// What a detector sees of one packet: the decoded headers, the transport payload, its direction
/// relative to the flow's client, and the flow so far. Valid only during the call.
/// </summary>
public readonly ref struct PacketContext
{
    public readonly ref readonly PacketInfo Packet;
    public readonly ref readonly FlowRecord Flow;
    public readonly ReadOnlySpan<byte> Payload;

    /// <summary>True when the packet goes from the flow's client to its server.</summary>
    public readonly bool FromClient;

    /// <summary>0-based index of this packet among the flow's payload-carrying packets (both directions).</summary>
    public readonly int PayloadPacketIndex;

    public readonly long TimestampMicros;

    public PacketContext(ref readonly PacketInfo packet, ref readonly FlowRecord flow, ReadOnlySpan<byte> payload, bool fromClient, int payloadPacketIndex, long timestampMicros)
    {
        Packet = ref packet;
        Flow = ref flow;
        Payload = payload;
        FromClient = fromClient;
        PayloadPacketIndex = payloadPacketIndex;
        TimestampMicros = timestampMicros;
    }

    public ushort ServerPort => FromClient ? Packet.DestinationPort : Packet.SourcePort;
}
