using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Alerts.Tests;

/// <summary>Syslog over UDP and TCP against listeners on 127.0.0.1 with ephemeral ports.</summary>
public partial class SyslogAlertSinkTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(20);

    [GeneratedRegex(@"^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (\{.*\})$", RegexOptions.Singleline)]
    private static partial Regex Rfc5424();

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void Message_is_rfc5424_with_eve_json_body()
    {
        using var sink = new SyslogAlertSink("127.0.0.1", 514, SyslogTransport.Udp)
        {
            HostName = "my host",
            TimeProvider = new FixedTime(new DateTimeOffset(2024, 10, 21, 10, 0, 2, TimeSpan.Zero).AddTicks(10)),
        };

        string message = sink.FormatMessage(TestAlerts.OpenVpnTcp());
        Match m = Rfc5424().Match(message);
        Assert.True(m.Success, message);
        Assert.Equal("172", m.Groups[1].Value); // local5 (21) * 8 + warning (4)
        Assert.Equal("2024-10-21T10:00:02.000001Z", m.Groups[2].Value);
        Assert.Equal("my_host", m.Groups[3].Value);
        Assert.Equal("sentinel", m.Groups[4].Value);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[5].Value);
        Assert.Equal("vpn-detect", m.Groups[6].Value);
        using JsonDocument json = JsonDocument.Parse(m.Groups[7].Value);
        Assert.Equal("openvpn", json.RootElement.GetProperty("detection").GetProperty("protocol").GetString());
    }

    [Fact]
    public void Sensor_name_is_the_syslog_host()
    {
        using var sink = new SyslogAlertSink("127.0.0.1", 514, SyslogTransport.Udp) { HostName = "fallback" };
        Match m = Rfc5424().Match(sink.FormatMessage(TestAlerts.OpenVpnTcp(sensor: "edge-7")));
        Assert.Equal("edge-7", m.Groups[3].Value);
    }

    [Fact]
    public async Task Udp_delivers_one_datagram_per_alert()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)server.Client.LocalEndPoint!).Port;
        using var cancel = new CancellationTokenSource(s_generous);

        using (var sink = new SyslogAlertSink("127.0.0.1", port, SyslogTransport.Udp))
        {
            Assert.Equal($"syslog:udp://127.0.0.1:{port}", sink.Name);
            sink.Write(TestAlerts.OpenVpnTcp());
            sink.Write(TestAlerts.WireGuardV6());
            sink.Flush();
        }

        var flowIds = new List<ulong>();
        for (int i = 0; i < 2; i++)
        {
            UdpReceiveResult datagram = await server.ReceiveAsync(cancel.Token);
            string text = Encoding.UTF8.GetString(datagram.Buffer);
            Match m = Rfc5424().Match(text);
            Assert.True(m.Success, text);
            flowIds.Add(JsonDocument.Parse(m.Groups[7].Value).RootElement.GetProperty("flow_id").GetUInt64());
        }

        Assert.Equal([123456789UL, 42UL], flowIds);
    }

    [Fact]
    public async Task Tcp_uses_octet_counting_frames()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var cancel = new CancellationTokenSource(s_generous);
            using var sink = new SyslogAlertSink("127.0.0.1", port, SyslogTransport.Tcp);
            sink.Write(TestAlerts.OpenVpnTcp());
            sink.Write(TestAlerts.Esp());

            using TcpClient client = await listener.AcceptTcpClientAsync(cancel.Token);
            NetworkStream stream = client.GetStream();
            string first = await ReadFrameAsync(stream, cancel.Token);
            string second = await ReadFrameAsync(stream, cancel.Token);
            Assert.Equal(123456789UL, BodyOf(first).GetProperty("flow_id").GetUInt64());
            Assert.Equal("ESP", BodyOf(second).GetProperty("proto").GetString());
            Assert.Equal(1, sink.Connects);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Tcp_reconnects_after_the_collector_drops_the_connection()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var cancel = new CancellationTokenSource(s_generous);
            using var sink = new SyslogAlertSink("127.0.0.1", port, SyslogTransport.Tcp);

            sink.Write(TestAlerts.OpenVpnTcp());
            using (TcpClient firstClient = await listener.AcceptTcpClientAsync(cancel.Token))
            {
                await ReadFrameAsync(firstClient.GetStream(), cancel.Token);
            }

            // The collector has closed its end. A later write notices (before sending, or by failing
            // and retrying) and reconnects; messages written into the dying socket may be lost, as with
            // any syslog over TCP, so keep writing until the new connection appears.
            Task<TcpClient> accept = listener.AcceptTcpClientAsync(cancel.Token).AsTask();
            for (int i = 0; i < 200 && !accept.IsCompleted; i++)
            {
                try
                {
                    sink.Write(TestAlerts.Esp());
                }
                catch (SocketException)
                {
                    // Counted by the dispatcher in real use; the next write tries again.
                }

                await Task.WhenAny(accept, Task.Delay(50, cancel.Token));
            }

            using TcpClient secondClient = await accept;
            string frame = await ReadFrameAsync(secondClient.GetStream(), cancel.Token);
            Assert.Equal("ESP", BodyOf(frame).GetProperty("proto").GetString());
            Assert.True(sink.Connects >= 2);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void Tcp_write_throws_when_nobody_listens()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var sink = new SyslogAlertSink("127.0.0.1", port, SyslogTransport.Tcp);
        Assert.ThrowsAny<Exception>(() => sink.Write(TestAlerts.OpenVpnTcp()));
    }

    [Theory]
    [InlineData("plain", 255, "plain")]
    [InlineData("", 255, "-")]
    [InlineData(null, 255, "-")]
    [InlineData("a b\tc", 255, "a_b_c")]
    [InlineData("abcdef", 3, "abc")]
    public void Header_fields_are_printable_ascii(string? value, int max, string expected) =>
        Assert.Equal(expected, SyslogAlertSink.HeaderField(value, max));

    private static JsonElement BodyOf(string message)
    {
        Match m = Rfc5424().Match(message);
        Assert.True(m.Success, message);
        return JsonDocument.Parse(m.Groups[7].Value).RootElement.Clone();
    }

    /// <summary>Reads one RFC 6587 octet-counted frame: ASCII length, a space, then that many bytes.</summary>
    private static async Task<string> ReadFrameAsync(Stream stream, CancellationToken cancel)
    {
        byte[] one = new byte[1];
        int length = 0;
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancel);
            if (one[0] == (byte)' ')
            {
                break;
            }

            Assert.InRange(one[0], (byte)'0', (byte)'9');
            length = (length * 10) + (one[0] - '0');
        }

        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body, cancel);
        return Encoding.UTF8.GetString(body);
    }
}
