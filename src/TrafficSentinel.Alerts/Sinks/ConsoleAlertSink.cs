using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace TrafficSentinel.Alerts.Sinks;

/// <summary>
/// One human-readable line per alert:
/// <c>2024-10-21T10:00:01.123456Z  OPENVPN  vpn  signature 0.99  192.168.1.84:52973 -> 192.12.192.103:1194 TCP  "evidence"  [file.pcap #12]</c>.
/// ANSI colour is used only when asked for; <see cref="ForStandardOutput"/> asks for it when stdout is
/// a terminal and <c>NO_COLOR</c> is unset (https://no-color.org).
/// </summary>
public sealed class ConsoleAlertSink : IAlertSink
{
    private const string Reset = "\e[0m";
    private const string Dim = "\e[2m";
    private const string Bold = "\e[1m";

    private readonly TextWriter _writer;
    private readonly bool _useColor;
    private readonly bool _leaveOpen;
    private readonly StringBuilder _line = new(256);

    /// <param name="writer">Where lines go.</param>
    /// <param name="useColor">Whether to add ANSI colour escapes.</param>
    /// <param name="leaveOpen">False to dispose <paramref name="writer"/> with the sink.</param>
    public ConsoleAlertSink(TextWriter writer, bool useColor, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _useColor = useColor;
        _leaveOpen = leaveOpen;
    }

    public string Name => "console";

    public bool UseColor => _useColor;

    /// <summary>A sink on <see cref="Console.Out"/>, coloured when stdout is a terminal and NO_COLOR is unset.</summary>
    public static ConsoleAlertSink ForStandardOutput() =>
        new(Console.Out, ShouldUseColor(!Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM")));

    /// <summary>
    /// The colour decision: only on an interactive terminal, never when <c>NO_COLOR</c> is set to a
    /// non-empty value, and never for <c>TERM=dumb</c>.
    /// </summary>
    public static bool ShouldUseColor(bool isTerminal, string? noColor, string? term = null) =>
        isTerminal && string.IsNullOrEmpty(noColor) && !string.Equals(term, "dumb", StringComparison.Ordinal);

    /// <summary>The line for <paramref name="alert"/>, without newline.</summary>
    public string Format(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _line.Clear();
        AppendLine(_line, alert, _useColor);
        return _line.ToString();
    }

    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _line.Clear();
        AppendLine(_line, alert, _useColor);
        _line.Append('\n');
        // One Write call per line: a synchronised Console.Out keeps lines whole.
        _writer.Write(_line.ToString());
    }

    public void Flush() => _writer.Flush();

    public void Dispose()
    {
        try
        {
            _writer.Flush();
        }
        finally
        {
            if (!_leaveOpen)
            {
                _writer.Dispose();
            }
        }
    }

    internal static void AppendLine(StringBuilder line, Alert alert, bool color)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        Detection detection = alert.Detection;
        FlowEndpoints flow = alert.Flow;

        Styled(line, color, Dim, AlertTime.ToIsoZ(alert.TimestampMicros));
        line.Append("  ");
        Styled(line, color, Bold + CategoryColor(detection.Category), detection.Protocol.ToUpperInvariant());
        line.Append("  ").Append(detection.Category);
        line.Append("  ").Append(detection.Method).Append(' ').Append(detection.Confidence.ToString("0.00", inv));
        line.Append("  ");
        AppendEndpoint(line, flow.ClientIp, flow.ClientPort, flow.HasPorts);
        line.Append(" -> ");
        AppendEndpoint(line, flow.ServerIp, flow.ServerPort, flow.HasPorts);
        line.Append(' ').Append(IpProtocols.ToEveName(flow.IpProtocol));
        if (flow.IsIcmp)
        {
            line.Append(" type ").Append(flow.ClientPort.ToString(inv)).Append(" code ").Append(flow.ServerPort.ToString(inv));
        }

        if (alert.VlanId is ushort vlan)
        {
            line.Append(" vlan ").Append(vlan.ToString(inv));
        }

        line.Append("  \"");
        AppendEvidence(line, detection.Evidence);
        line.Append('"');

        if (alert.PcapFileName is { } file)
        {
            line.Append("  [").Append(Path.GetFileName(file));
            if (alert.PcapPacketNumber is long number)
            {
                line.Append(" #").Append(number.ToString(inv));
            }

            line.Append(']');
        }
        else if (alert.PcapPacketNumber is long number)
        {
            line.Append("  [#").Append(number.ToString(inv)).Append(']');
        }
    }

    private static void Styled(StringBuilder line, bool color, string style, string text)
    {
        if (color)
        {
            line.Append(style).Append(text).Append(Reset);
        }
        else
        {
            line.Append(text);
        }
    }

    private static string CategoryColor(string category) => category switch
    {
        "vpn" => "\e[33m",        // yellow
        "anonymizer" => "\e[35m", // magenta
        "proxy" => "\e[36m",      // cyan
        _ => "\e[31m",            // red
    };

    private static void AppendEndpoint(StringBuilder line, System.Net.IPAddress address, ushort port, bool hasPort)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (hasPort && v6)
        {
            line.Append('[').Append(address).Append("]:").Append(port.ToString(CultureInfo.InvariantCulture));
        }
        else if (hasPort)
        {
            line.Append(address).Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            line.Append(address);
        }
    }

    /// <summary>Keeps the evidence on one line and free of terminal escapes.</summary>
    private static void AppendEvidence(StringBuilder line, string evidence)
    {
        foreach (char c in evidence)
        {
            if (c == '"' || c == '\\')
            {
                line.Append('\\').Append(c);
            }
            else if (char.IsControl(c))
            {
                line.Append(' ');
            }
            else
            {
                line.Append(c);
            }
        }
    }
}
