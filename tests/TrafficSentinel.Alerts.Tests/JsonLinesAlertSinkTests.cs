using System.Text;
using System.Text.Json;
using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Alerts.Tests;

public class JsonLinesAlertSinkTests
{
    private static JsonElement[] WriteAndParse(params Alert[] alerts)
    {
        using var stream = new MemoryStream();
        using (var sink = new JsonLinesAlertSink(stream, "test", leaveOpen: true))
        {
            foreach (Alert alert in alerts)
            {
                sink.Write(alert);
            }

            sink.Flush();
        }

        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal(alerts.Length, lines.Length);
        Assert.All(lines, line => Assert.DoesNotContain("\\u00", line, StringComparison.Ordinal));
        return [.. lines.Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    [Fact]
    public void Tcp_alert_has_every_eve_field()
    {
        Alert alert = TestAlerts.OpenVpnTcp();
        JsonElement json = WriteAndParse(alert)[0];

        Assert.Equal("2024-10-21T10:00:01.123456+0000", json.GetProperty("timestamp").GetString());
        Assert.Equal(123456789UL, json.GetProperty("flow_id").GetUInt64());
        Assert.Equal("alert", json.GetProperty("event_type").GetString());
        Assert.Equal("192.168.1.84", json.GetProperty("src_ip").GetString());
        Assert.Equal(52973, json.GetProperty("src_port").GetInt32());
        Assert.Equal("192.12.192.103", json.GetProperty("dest_ip").GetString());
        Assert.Equal(1194, json.GetProperty("dest_port").GetInt32());
        Assert.Equal("TCP", json.GetProperty("proto").GetString());
        Assert.Equal(alert.CommunityId, json.GetProperty("community_id").GetString());
        Assert.StartsWith("1:", alert.CommunityId, StringComparison.Ordinal);
        Assert.Equal("443-opvn.pcap", json.GetProperty("pcap_filename").GetString());
        Assert.Equal(12, json.GetProperty("pcap_cnt").GetInt64());
        Assert.False(json.TryGetProperty("vlan", out _));
        Assert.False(json.TryGetProperty("host", out _));
        Assert.False(json.TryGetProperty("icmp_type", out _));

        JsonElement detection = json.GetProperty("detection");
        Assert.Equal("openvpn", detection.GetProperty("protocol").GetString());
        Assert.Equal("vpn", detection.GetProperty("category").GetString());
        Assert.Equal("signature", detection.GetProperty("method").GetString());
        Assert.Equal(0.99, detection.GetProperty("confidence").GetDouble());
        Assert.Equal("P_CONTROL_HARD_RESET_CLIENT_V2 then server reset", detection.GetProperty("evidence").GetString());

        JsonElement flow = json.GetProperty("flow");
        Assert.Equal(10, flow.GetProperty("pkts_toserver").GetInt64());
        Assert.Equal(8, flow.GetProperty("pkts_toclient").GetInt64());
        Assert.Equal(1500, flow.GetProperty("bytes_toserver").GetInt64());
        Assert.Equal(3200, flow.GetProperty("bytes_toclient").GetInt64());
        Assert.Equal("2024-10-21T09:59:59.123456+0000", flow.GetProperty("start").GetString());

        JsonElement compat = json.GetProperty("alert");
        Assert.Equal("allowed", compat.GetProperty("action").GetString());
        Assert.Equal("vpn", compat.GetProperty("category").GetString());
        Assert.Contains("openvpn", compat.GetProperty("signature").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, compat.GetProperty("severity").GetInt32());
    }

    [Fact]
    public void Ipv6_alert_with_vlan()
    {
        JsonElement json = WriteAndParse(TestAlerts.WireGuardV6())[0];
        Assert.Equal("2001:db8::1", json.GetProperty("src_ip").GetString());
        Assert.Equal(40000, json.GetProperty("src_port").GetInt32());
        Assert.Equal("2001:db8::2", json.GetProperty("dest_ip").GetString());
        Assert.Equal(51820, json.GetProperty("dest_port").GetInt32());
        Assert.Equal("UDP", json.GetProperty("proto").GetString());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("vlan").ValueKind);
        Assert.Equal([100], json.GetProperty("vlan").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(0.875, json.GetProperty("detection").GetProperty("confidence").GetDouble());
        Assert.Equal("heuristic", json.GetProperty("detection").GetProperty("method").GetString());
    }

    [Fact]
    public void Null_pcap_fields_are_left_out()
    {
        JsonElement json = WriteAndParse(TestAlerts.WireGuardV6())[0];
        Assert.False(json.TryGetProperty("pcap_filename", out _));
        Assert.False(json.TryGetProperty("pcap_cnt", out _));
    }

    [Fact]
    public void Icmp_alert_carries_type_and_code_instead_of_ports()
    {
        JsonElement json = WriteAndParse(TestAlerts.IcmpTunnel())[0];
        Assert.Equal("ICMP", json.GetProperty("proto").GetString());
        Assert.False(json.TryGetProperty("src_port", out _));
        Assert.False(json.TryGetProperty("dest_port", out _));
        Assert.Equal(8, json.GetProperty("icmp_type").GetInt32());
        Assert.Equal(0, json.GetProperty("icmp_code").GetInt32());
        Assert.Equal(
            CommunityId.Compute(System.Net.IPAddress.Parse("10.0.0.1"), System.Net.IPAddress.Parse("10.0.0.2"), 8, 0, IpProtocols.Icmp),
            json.GetProperty("community_id").GetString());
    }

    [Fact]
    public void Portless_protocol_has_no_ports()
    {
        JsonElement json = WriteAndParse(TestAlerts.Esp())[0];
        Assert.Equal("ESP", json.GetProperty("proto").GetString());
        Assert.False(json.TryGetProperty("src_port", out _));
        Assert.False(json.TryGetProperty("dest_port", out _));
        Assert.Equal(1.0, json.GetProperty("detection").GetProperty("confidence").GetDouble());
    }

    [Fact]
    public void Sensor_name_becomes_host_and_text_is_escaped()
    {
        Alert alert = TestAlerts.OpenVpnTcp(sensor: "edge-1", evidence: "quote \" newline \n unicode é");
        JsonElement json = WriteAndParse(alert)[0];
        Assert.Equal("edge-1", json.GetProperty("host").GetString());
        Assert.Equal("quote \" newline \n unicode é", json.GetProperty("detection").GetProperty("evidence").GetString());
    }

    [Fact]
    public void Text_is_utf8_with_only_json_escapes()
    {
        using var stream = new MemoryStream();
        using (var sink = new JsonLinesAlertSink(stream, "test", leaveOpen: true))
        {
            sink.Write(TestAlerts.OpenVpnTcp(evidence: "é \" \n <b>"));
        }

        string line = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"timestamp\":\"2024-10-21T10:00:01.123456+0000\"", line, StringComparison.Ordinal);
        Assert.Contains("\"evidence\":\"é \\\" \\n <b>\"", line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void One_line_per_alert()
    {
        JsonElement[] lines = WriteAndParse(TestAlerts.OpenVpnTcp(), TestAlerts.WireGuardV6(), TestAlerts.Esp());
        Assert.Equal([123456789UL, 42UL, 8UL], lines.Select(l => l.GetProperty("flow_id").GetUInt64()));
    }

    [Fact]
    public void Text_writer_output_matches_stream_output()
    {
        using var writer = new StringWriter();
        using (var sink = new JsonLinesAlertSink(writer, "test"))
        {
            sink.Write(TestAlerts.OpenVpnTcp());
            sink.Flush();
        }

        using var stream = new MemoryStream();
        using (var sink = new JsonLinesAlertSink(stream, "test", leaveOpen: true))
        {
            sink.Write(TestAlerts.OpenVpnTcp());
        }

        Assert.Equal(Encoding.UTF8.GetString(stream.ToArray()), writer.ToString());
    }

    [Fact]
    public void File_sink_appends()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ts-alerts-" + Guid.NewGuid().ToString("N"));
        string path = Path.Combine(dir, "sub", "eve.json");
        try
        {
            for (int run = 0; run < 2; run++)
            {
                using JsonLinesAlertSink sink = JsonLinesAlertSink.OpenFile(path);
                Assert.Equal("jsonl:" + path, sink.Name);
                sink.Write(TestAlerts.OpenVpnTcp());
            }

            string[] lines = File.ReadAllLines(path);
            Assert.Equal(2, lines.Length);
            Assert.All(lines, l => Assert.Equal("alert", JsonDocument.Parse(l).RootElement.GetProperty("event_type").GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000000+0000")]
    [InlineData(1L, "1970-01-01T00:00:00.000001+0000")]
    [InlineData(TestAlerts.Time, "2024-10-21T10:00:01.123456+0000")]
    public void Eve_timestamps(long micros, string expected) => Assert.Equal(expected, AlertTime.ToEve(micros));

    [Theory]
    [InlineData(1, "ICMP")]
    [InlineData(6, "TCP")]
    [InlineData(17, "UDP")]
    [InlineData(47, "GRE")]
    [InlineData(50, "ESP")]
    [InlineData(51, "AH")]
    [InlineData(58, "IPv6-ICMP")]
    [InlineData(132, "SCTP")]
    [InlineData(46, "46")]
    [InlineData(255, "255")]
    public void Eve_protocol_names(byte proto, string expected) => Assert.Equal(expected, IpProtocols.ToEveName(proto));
}
