using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Alerts.Tests;

public class ConsoleAlertSinkTests
{
    [Fact]
    public void Plain_line_format()
    {
        var sink = new ConsoleAlertSink(TextWriter.Null, useColor: false);
        Assert.Equal(
            "2024-10-21T10:00:01.123456Z  OPENVPN  vpn  signature 0.99  192.168.1.84:52973 -> 192.12.192.103:1194 TCP  \"P_CONTROL_HARD_RESET_CLIENT_V2 then server reset\"  [443-opvn.pcap #12]",
            sink.Format(TestAlerts.OpenVpnTcp(pcap: "/data/captures/443-opvn.pcap")));
    }

    [Fact]
    public void Write_puts_one_line_per_alert_without_escapes()
    {
        using var writer = new StringWriter();
        using (var sink = new ConsoleAlertSink(writer, useColor: false))
        {
            sink.Write(TestAlerts.OpenVpnTcp());
            sink.Write(TestAlerts.WireGuardV6());
            sink.Flush();
        }

        string[] lines = writer.ToString().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal(string.Empty, lines[2]);
        Assert.DoesNotContain('\e', writer.ToString());
        Assert.Equal(
            "2024-10-21T10:00:01.123456Z  WIREGUARD  vpn  heuristic 0.88  [2001:db8::1]:40000 -> [2001:db8::2]:51820 UDP vlan 100  \"handshake initiation 148 B, response 92 B\"",
            lines[1]);
    }

    [Fact]
    public void Colour_line_has_ansi_escapes_and_same_text()
    {
        var plain = new ConsoleAlertSink(TextWriter.Null, useColor: false);
        var colour = new ConsoleAlertSink(TextWriter.Null, useColor: true);
        Alert alert = TestAlerts.OpenVpnTcp();

        string coloured = colour.Format(alert);
        Assert.Contains("\e[1m\e[33mOPENVPN\e[0m", coloured, StringComparison.Ordinal);
        Assert.StartsWith("\e[2m2024-10-21T10:00:01.123456Z\e[0m", coloured, StringComparison.Ordinal);
        string stripped = System.Text.RegularExpressions.Regex.Replace(coloured, "\e\\[[0-9;]*m", string.Empty);
        Assert.Equal(plain.Format(alert), stripped);
    }

    [Fact]
    public void Icmp_and_portless_flows()
    {
        var sink = new ConsoleAlertSink(TextWriter.Null, useColor: false);
        Assert.Equal(
            "2024-10-21T10:00:01.123456Z  OTHER-VPN  vpn  ml 0.50  10.0.0.1 -> 10.0.0.2 ICMP type 8 code 0  \"large echo payloads\"",
            sink.Format(TestAlerts.IcmpTunnel()));
        Assert.Equal(
            "2024-10-21T10:00:01.123456Z  IPSEC  vpn  signature 1.00  198.51.100.1 -> 203.0.113.9 ESP  \"ESP\"",
            sink.Format(TestAlerts.Esp()));
    }

    [Fact]
    public void Evidence_stays_on_one_line_and_cannot_inject_escapes()
    {
        var sink = new ConsoleAlertSink(TextWriter.Null, useColor: false);
        string line = sink.Format(TestAlerts.OpenVpnTcp(evidence: "a\nb \"q\" \e[31m"));
        Assert.Contains("\"a b \\\"q\\\"  [31m\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\e', line);
    }

    [Theory]
    [InlineData(true, null, null, true)]
    [InlineData(true, "", "xterm-256color", true)]
    [InlineData(true, "1", null, false)]
    [InlineData(false, null, null, false)]
    [InlineData(true, null, "dumb", false)]
    public void Colour_only_on_a_terminal_without_NO_COLOR(bool terminal, string? noColor, string? term, bool expected) =>
        Assert.Equal(expected, ConsoleAlertSink.ShouldUseColor(terminal, noColor, term));

    [Fact]
    public void Writer_is_left_open_by_default()
    {
        using var writer = new StringWriter();
        new ConsoleAlertSink(writer, useColor: false).Dispose();
        writer.Write("still usable");
        Assert.Equal("still usable", writer.ToString());
    }
}
