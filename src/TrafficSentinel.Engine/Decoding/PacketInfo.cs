namespace TrafficSentinel.Engine.Decoding;

/// <summary>
/// What <see cref="PacketDecoder"/> read from one frame: addresses, ports, protocol and where the
/// transport payload lies in the frame. A plain struct the caller owns and the decoder overwrites;
/// it holds offsets, never the frame itself.
/// </summary>
public struct PacketInfo
{
    public IpAddr Source;
    public IpAddr Destination;

    /// <summary>TCP/UDP/SCTP ports; 0 for protocols without ports.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;

    /// <summary>Outermost 802.1Q/802.1ad VLAN id, 0 when untagged.</summary>
    public ushort VlanId;

    /// <summary>4 or 6.</summary>
    public byte IpVersion;

    /// <summary>The transport protocol: the IPv4 protocol field, or the IPv6 chain's last next-header.</summary>
    public byte Protocol;

    public TcpFlags TcpFlags;
    public byte Ttl;

    /// <summary>ICMP/ICMPv6 type and code (0 otherwise).</summary>
    public byte IcmpType;
    public byte IcmpCode;

    /// <summary>True for the first fragment of a fragmented IP packet.</summary>
    public bool IsFirstFragment;

    /// <summary>True when the frame holds fewer bytes than the IP header says (snaplen).</summary>
    public bool IsSnapTruncated;

    /// <summary>Offset of the IP header in the frame.</summary>
    public int NetworkOffset;

    /// <summary>Offset of the transport header (or of the IP payload for other protocols).</summary>
    public int TransportOffset;

    /// <summary>Offset of the transport payload in the frame.</summary>
    public int PayloadOffset;

    /// <summary>Payload bytes present in the frame (after trimming link-layer padding).</summary>
    public int PayloadLength;

    /// <summary>IP packet length from the IP header (header included).</summary>
    public int IpLength;

    public uint TcpSequence;
    public uint TcpAcknowledgement;
    public ushort TcpWindow;

    /// <summary>The transport payload, sliced from the frame the packet was decoded from.</summary>
    public readonly ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> frame) => frame.Slice(PayloadOffset, PayloadLength);
}
