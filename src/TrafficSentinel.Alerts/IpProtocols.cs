namespace TrafficSentinel.Alerts;

/// <summary>IP protocol numbers the alerts care about, and their names as Suricata EVE writes them.</summary>
public static class IpProtocols
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Gre = 47;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte IcmpV6 = 58;
    public const byte Sctp = 132;

    private static readonly string[] s_eveNames = BuildEveNames();

    /// <summary>
    /// EVE <c>proto</c> value: TCP, UDP, ICMP, IPv6-ICMP, GRE, ESP, AH, SCTP, or the decimal number
    /// for anything else. Never allocates.
    /// </summary>
    public static string ToEveName(byte protocol) => s_eveNames[protocol];

    /// <summary>True for the protocols whose flows have real port numbers.</summary>
    public static bool HasPorts(byte protocol) => protocol is Tcp or Udp or Sctp;

    private static string[] BuildEveNames()
    {
        var names = new string[256];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        names[Icmp] = "ICMP";
        names[Tcp] = "TCP";
        names[Udp] = "UDP";
        names[Gre] = "GRE";
        names[Esp] = "ESP";
        names[Ah] = "AH";
        names[IcmpV6] = "IPv6-ICMP";
        names[Sctp] = "SCTP";
        return names;
    }
}
