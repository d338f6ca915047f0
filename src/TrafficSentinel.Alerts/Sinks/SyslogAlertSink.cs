using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TrafficSentinel.Alerts.Sinks;

/// <summary>How syslog messages travel.</summary>
public enum SyslogTransport
{
    /// <summary>RFC 5426: one message per datagram.</summary>
    Udp,

    /// <summary>RFC 6587 octet-counting framing: <c>LENGTH SP MESSAGE</c>.</summary>
    Tcp,
}

/// <summary>
/// Sends each alert as an RFC 5424 message whose MSG is the EVE JSON object (see <see cref="EveJson"/>):
/// <c>&lt;172&gt;1 2024-10-21T10:00:02.000001Z sensor1 sentinel 4711 vpn-detect - {"timestamp":…}</c>.
/// The header time is when the message was made (the alert's own time is in the JSON); header fields
/// are printable ASCII, the MSG is UTF-8 JSON without a BOM (as rsyslog and Suricata send it). Over TCP the
/// connection is opened on first use and re-opened once per message when it has broken; if that fails
/// too the write throws, and the dispatcher counts it.
/// </summary>
public sealed class SyslogAlertSink : IAlertSink
{
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly ArrayBufferWriter<byte> _frame = new(1024);
    private readonly Utf8JsonWriter _jsonWriter;
    private readonly string _processId = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private Socket? _socket;
    private bool _disposed;

    public SyslogAlertSink(string host, int port, SyslogTransport transport)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        Host = host;
        Port = port;
        Transport = transport;
        _jsonWriter = new Utf8JsonWriter(_json, EveJson.Options);
    }

    public string Host { get; }

    public int Port { get; }

    public SyslogTransport Transport { get; }

    public string Name => string.Create(
        CultureInfo.InvariantCulture,
        $"syslog:{(Transport == SyslogTransport.Tcp ? "tcp" : "udp")}://{(Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host)}:{Port}");

    /// <summary>Syslog facility, 0–23; default 21 (local5, Suricata's default).</summary>
    public int Facility { get; init; } = 21;

    /// <summary>Syslog severity, 0–7; default 4 (warning).</summary>
    public int Severity { get; init; } = 4;

    /// <summary>RFC 5424 APP-NAME.</summary>
    public string AppName { get; init; } = "sentinel";

    /// <summary>RFC 5424 MSGID.</summary>
    public string MessageId { get; init; } = "vpn-detect";

    /// <summary>RFC 5424 HOSTNAME when the alert has no <see cref="Alert.SensorName"/>; defaults to the machine's name.</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>Clock for the header timestamp.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one send may block.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many TCP connections were opened (the first one and every reconnect).</summary>
    public int Connects { get; private set; }

    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ObjectDisposedException.ThrowIf(_disposed, this);
        BuildFrame(alert);
        if (Transport == SyslogTransport.Tcp)
        {
            SendTcp(_frame.WrittenSpan);
        }
        else
        {
            SendUdp(_frame.WrittenSpan);
        }
    }

    public void Flush()
    {
        // Every message is handed to the kernel as it is written.
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CloseSocket();
        _jsonWriter.Dispose();
    }

    /// <summary>The RFC 5424 message (without TCP framing) for <paramref name="alert"/>.</summary>
    internal string FormatMessage(Alert alert)
    {
        BuildFrame(alert, framed: false);
        return Encoding.UTF8.GetString(_frame.WrittenSpan);
    }

    private void BuildFrame(Alert alert, bool framed = true)
    {
        EveJson.WriteTo(_json, _jsonWriter, alert);

        int priority = (Math.Clamp(Facility, 0, 23) * 8) + Math.Clamp(Severity, 0, 7);
        long nowMicros = AlertTime.FromDateTimeOffset(TimeProvider.GetUtcNow());
        string header = string.Create(
            CultureInfo.InvariantCulture,
            $"<{priority}>1 {AlertTime.ToIsoZ(nowMicros)} {HeaderField(alert.SensorName ?? HostName, 255)} {HeaderField(AppName, 48)} {HeaderField(_processId, 128)} {HeaderField(MessageId, 32)} - ");

        int length = Encoding.ASCII.GetByteCount(header) + _json.WrittenCount;
        _frame.ResetWrittenCount();
        if (framed && Transport == SyslogTransport.Tcp)
        {
            WriteAscii(_frame, length.ToString(CultureInfo.InvariantCulture));
            _frame.Write(" "u8);
        }

        WriteAscii(_frame, header);
        _frame.Write(_json.WrittenSpan);
    }

    private static void WriteAscii(ArrayBufferWriter<byte> buffer, string text)
    {
        Span<byte> target = buffer.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, target);
        buffer.Advance(written);
    }

    /// <summary>An RFC 5424 header field: printable US-ASCII without spaces, at most <paramref name="max"/> long, "-" when empty.</summary>
    internal static string HeaderField(string? value, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        var field = new StringBuilder(Math.Min(value.Length, max));
        foreach (char c in value)
        {
            if (field.Length == max)
            {
                break;
            }

            field.Append(c is > ' ' and < (char)127 ? c : '_');
        }

        return field.ToString();
    }

    private void SendUdp(ReadOnlySpan<byte> message)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Socket socket = _socket ??= OpenSocket(SocketType.Dgram, ProtocolType.Udp);
                socket.Send(message);
                return;
            }
            catch (SocketException) when (attempt == 0)
            {
                // A connected UDP socket reports an earlier ICMP "port unreachable" on the next send; try once more.
                CloseSocket();
            }
        }
    }

    private void SendTcp(ReadOnlySpan<byte> frame)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (_socket is { } existing && PeerHasClosed(existing))
                {
                    CloseSocket();
                }

                Socket socket = _socket ??= OpenSocket(SocketType.Stream, ProtocolType.Tcp);
                int sent = 0;
                while (sent < frame.Length)
                {
                    sent += socket.Send(frame[sent..]);
                }

                return;
            }
            catch (Exception ex) when (attempt == 0 && ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                CloseSocket();
            }
            catch
            {
                CloseSocket();
                throw;
            }
        }
    }

    /// <summary>A syslog collector never talks back, so a readable socket with nothing to read means the peer closed it.</summary>
    private static bool PeerHasClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private Socket OpenSocket(SocketType type, ProtocolType protocol)
    {
        IPAddress address = Resolve(Host);
        var socket = new Socket(address.AddressFamily, type, protocol);
        try
        {
            socket.SendTimeout = (int)SendTimeout.TotalMilliseconds;
            var endPoint = new IPEndPoint(address, Port);
            if (type == SocketType.Stream)
            {
                socket.NoDelay = true;
                using var cancel = new CancellationTokenSource(ConnectTimeout);
                socket.ConnectAsync(endPoint, cancel.Token).AsTask().GetAwaiter().GetResult();
                Connects++;
            }
            else
            {
                socket.Connect(endPoint);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return literal;
        }

        IPAddress[] addresses = Dns.GetHostAddresses(host);
        return addresses.Length > 0
            ? addresses[0]
            : throw new SocketException((int)SocketError.HostNotFound);
    }

    private void CloseSocket()
    {
        Socket? socket = _socket;
        _socket = null;
        socket?.Dispose();
    }
}
