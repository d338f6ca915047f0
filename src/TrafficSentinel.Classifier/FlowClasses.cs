namespace TrafficSentinel.Classifier;

/// <summary>
/// The classes the flow classifier learns: the three tunnels the mission names, one class for every
/// other tunnel or proxy in the labels (ipsec, shadowsocks, softether, other-vpn, ...), and benign.
/// </summary>
public static class FlowClasses
{
    public const string Benign = "benign";
    public const string OpenVpn = "openvpn";
    public const string WireGuard = "wireguard";
    public const string Tor = "tor";
    public const string OtherTunnel = "other-vpn";

    public static IReadOnlyList<string> All { get; } = [Benign, OpenVpn, OtherTunnel, Tor, WireGuard];

    /// <summary>The model class of a labels.csv truth value.</summary>
    public static string FromTruth(string truth) => truth.ToLowerInvariant() switch
    {
        Benign => Benign,
        OpenVpn => OpenVpn,
        WireGuard => WireGuard,
        Tor => Tor,
        _ => OtherTunnel,
    };

    /// <summary>The alert category of a class.</summary>
    public static string CategoryOf(string cls) => cls == Tor ? "anonymizer" : "vpn";
}
