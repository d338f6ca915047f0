namespace TrafficSentinel.Engine.Decoding;

/// <summary>IANA IP protocol numbers the engine cares about.</summary>
public static class IpProtocol
{
    public const byte HopByHop = 0;
    public const byte Icmp = 1;
    public const byte IpInIp = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6InIp = 41;
    public const byte Ipv6Routing = 43;
    public const byte Ipv6Fragment = 44;
    public const byte Gre = 47;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte Icmpv6 = 58;
    public const byte Ipv6NoNext = 59;
    public const byte Ipv6DestinationOptions = 60;
    public const byte Sctp = 132;
    public const byte Ipv6Mobility = 135;
    public const byte Hip = 139;
    public const byte Shim6 = 140;
}

/// <summary>TCP header flag bits (RFC 9293 §3.1).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}
