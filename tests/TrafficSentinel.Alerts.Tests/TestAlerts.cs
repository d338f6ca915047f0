using System.Net;

namespace TrafficSentinel.Alerts.Tests;

/// <summary>Alerts for tests.</summary>
internal static class TestAlerts
{
    /// <summary>2024-10-21T10:00:01.123456Z.</summary>
    public const long Time = 1_729_504_801_123_456L;

    public static Alert OpenVpnTcp(
        string? pcap = "443-opvn.pcap",
        long? packet = 12,
        ushort? vlan = null,
        string? sensor = null,
        string evidence = "P_CONTROL_HARD_RESET_CLIENT_V2 then server reset") => Alert.Create(
            Time,
            123456789UL,
            new FlowEndpoints(IPAddress.Parse("192.168.1.84"), 52973, IPAddress.Parse("192.12.192.103"), 1194, IpProtocols.Tcp),
            new Detection("openvpn", "vpn", "signature", 0.99, evidence),
            new FlowCounters(10, 8, 1500, 3200, Time - 2_000_000),
            pcap,
            packet,
            vlan,
            sensor);

    public static Alert WireGuardV6() => Alert.Create(
        Time,
        42UL,
        new FlowEndpoints(IPAddress.Parse("2001:db8::1"), 40000, IPAddress.Parse("2001:db8::2"), 51820, IpProtocols.Udp),
        new Detection("wireguard", "vpn", "heuristic", 0.875, "handshake initiation 148 B, response 92 B"),
        new FlowCounters(2, 1, 148 + 48, 92 + 48, Time - 5),
        vlanId: 100);

    public static Alert IcmpTunnel() => Alert.Create(
        Time,
        7UL,
        new FlowEndpoints(IPAddress.Parse("10.0.0.1"), 8, IPAddress.Parse("10.0.0.2"), 0, IpProtocols.Icmp),
        new Detection("other-vpn", "vpn", "ml", 0.5, "large echo payloads"),
        new FlowCounters(3, 3, 300, 300, Time));

    public static Alert Esp() => Alert.Create(
        Time,
        8UL,
        new FlowEndpoints(IPAddress.Parse("198.51.100.1"), 0, IPAddress.Parse("203.0.113.9"), 0, IpProtocols.Esp),
        new Detection("ipsec", "vpn", "signature", 1.0, "ESP"),
        new FlowCounters(1, 0, 100, 0, Time));

    public static Alert Numbered(int i) => Alert.Create(
        Time + i,
        (ulong)i,
        new FlowEndpoints(IPAddress.Loopback, 1000, IPAddress.Loopback, 2000, IpProtocols.Udp),
        new Detection("wireguard", "vpn", "signature", 1.0, "n" + i),
        new FlowCounters(1, 0, 100, 0, Time));
}
