namespace TrafficSentinel.Engine.Decoding;

/// <summary>
/// DLT values as returned by <c>pcap_datalink</c> (libpcap <c>pcap/dlt.h</c>). A savefile stored as
/// LINKTYPE_RAW (101) comes back as DLT_RAW, 12 on Linux and 14 on OpenBSD, so all three mean raw IP.
/// </summary>
public static class LinkType
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int RawLinux = 12;
    public const int RawOpenBsd = 14;
    public const int Raw = 101;
    public const int Loop = 108;
    public const int LinuxSll = 113;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int LinuxSll2 = 276;

    public static bool IsSupported(int linkType) => linkType switch
    {
        Null or Ethernet or RawLinux or RawOpenBsd or Raw or Loop or LinuxSll or Ipv4 or Ipv6 or LinuxSll2 => true,
        _ => false,
    };

    public static string Describe(int linkType) => linkType switch
    {
        Null => "BSD loopback (NULL)",
        Ethernet => "Ethernet",
        RawLinux or RawOpenBsd or Raw => "raw IP",
        Loop => "OpenBSD loopback (LOOP)",
        LinuxSll => "Linux cooked v1 (SLL)",
        LinuxSll2 => "Linux cooked v2 (SLL2)",
        Ipv4 => "raw IPv4",
        Ipv6 => "raw IPv6",
        _ => "link type " + linkType.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
