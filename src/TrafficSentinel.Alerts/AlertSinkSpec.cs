using System.Globalization;
using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Alerts;

/// <summary>Kinds of alert output the command line can ask for.</summary>
public enum AlertSinkKind
{
    Console,
    JsonLines,
    Syslog,
}

/// <summary>
/// An <c>--output</c> value, parsed: <c>console</c>, <c>jsonl</c> (stdout), <c>jsonl:-</c> (stdout),
/// <c>jsonl:PATH</c>, <c>syslog:udp://HOST[:PORT]</c>, <c>syslog:tcp://HOST[:PORT]</c> (port 514 when
/// left out; IPv6 hosts in brackets). Parsing opens nothing; <see cref="CreateSink()"/> does.
/// </summary>
public sealed record AlertSinkSpec
{
    /// <summary>The syslog port used when a spec names none.</summary>
    public const int DefaultSyslogPort = 514;

    private const string Expected = "expected console, jsonl, jsonl:PATH, syslog:udp://HOST:PORT or syslog:tcp://HOST:PORT";

    private AlertSinkSpec(AlertSinkKind kind, string? path, SyslogTransport transport, string? host, int port)
    {
        Kind = kind;
        Path = path;
        Transport = transport;
        Host = host;
        Port = port;
    }

    public AlertSinkKind Kind { get; }

    /// <summary>For <see cref="AlertSinkKind.JsonLines"/>: the file, or null for stdout.</summary>
    public string? Path { get; }

    /// <summary>For <see cref="AlertSinkKind.Syslog"/>.</summary>
    public SyslogTransport Transport { get; }

    /// <summary>For <see cref="AlertSinkKind.Syslog"/>: host name or address (IPv6 without brackets).</summary>
    public string? Host { get; }

    /// <summary>For <see cref="AlertSinkKind.Syslog"/>.</summary>
    public int Port { get; }

    /// <summary>Parses an output spec.</summary>
    /// <exception cref="FormatException">The spec is not one of the accepted forms; the message says why.</exception>
    public static AlertSinkSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string text = spec.Trim();
        if (text.Length == 0)
        {
            throw new FormatException($"Empty alert output; {Expected}.");
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? text : text[..colon];
        string? rest = colon < 0 ? null : text[(colon + 1)..];

        switch (kind.ToLowerInvariant())
        {
            case "console":
                return rest is null
                    ? new AlertSinkSpec(AlertSinkKind.Console, null, default, null, 0)
                    : throw new FormatException($"Alert output '{spec}': 'console' takes no argument.");
            case "jsonl":
                if (rest is null || rest == "-")
                {
                    return new AlertSinkSpec(AlertSinkKind.JsonLines, null, default, null, 0);
                }

                return rest.Length > 0
                    ? new AlertSinkSpec(AlertSinkKind.JsonLines, rest, default, null, 0)
                    : throw new FormatException($"Alert output '{spec}': 'jsonl:' needs a file path (or leave it out for stdout).");
            case "syslog":
                return ParseSyslog(spec, rest);
            default:
                throw new FormatException($"Unknown alert output '{spec}'; {Expected}.");
        }
    }

    /// <summary>Parses an output spec, giving the reason instead of throwing.</summary>
    public static bool TryParse(string spec, out AlertSinkSpec? result, out string? error)
    {
        try
        {
            result = Parse(spec);
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            result = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Parses <paramref name="spec"/> and opens the sink it names.</summary>
    /// <exception cref="FormatException">The spec is malformed.</exception>
    public static IAlertSink CreateSink(string spec) => Parse(spec).CreateSink();

    /// <summary>Opens the sink: creates or appends to the JSON lines file, makes the syslog sender.</summary>
    public IAlertSink CreateSink() => Kind switch
    {
        AlertSinkKind.Console => ConsoleAlertSink.ForStandardOutput(),
        AlertSinkKind.JsonLines when Path is null => JsonLinesAlertSink.ToStandardOutput(),
        AlertSinkKind.JsonLines => JsonLinesAlertSink.OpenFile(Path),
        AlertSinkKind.Syslog => new SyslogAlertSink(Host!, Port, Transport),
        _ => throw new InvalidOperationException($"Unknown sink kind {Kind}."),
    };

    /// <summary>The canonical spec text.</summary>
    public override string ToString() => Kind switch
    {
        AlertSinkKind.Console => "console",
        AlertSinkKind.JsonLines => Path is null ? "jsonl" : "jsonl:" + Path,
        _ => string.Create(
            CultureInfo.InvariantCulture,
            $"syslog:{(Transport == SyslogTransport.Tcp ? "tcp" : "udp")}://{(Host!.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host)}:{Port}"),
    };

    private static AlertSinkSpec ParseSyslog(string spec, string? rest)
    {
        if (string.IsNullOrEmpty(rest))
        {
            throw new FormatException($"Alert output '{spec}': syslog needs a target, e.g. syslog:udp://127.0.0.1:514 or syslog:tcp://collector:601.");
        }

        int schemeEnd = rest.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw new FormatException($"Alert output '{spec}': write the syslog target as udp://HOST:PORT or tcp://HOST:PORT.");
        }

        SyslogTransport transport = rest[..schemeEnd].ToLowerInvariant() switch
        {
            "udp" => SyslogTransport.Udp,
            "tcp" => SyslogTransport.Tcp,
            _ => throw new FormatException($"Alert output '{spec}': syslog transport must be udp or tcp, not '{rest[..schemeEnd]}'."),
        };

        string authority = rest[(schemeEnd + 3)..].TrimEnd('/');
        string host;
        string? portText;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Alert output '{spec}': missing ']' after the IPv6 address.");
            }

            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0 && after[0] != ':')
            {
                throw new FormatException($"Alert output '{spec}': expected ':PORT' after ']'.");
            }

            portText = after.Length > 0 ? after[1..] : null;
            if (!System.Net.IPAddress.TryParse(host, out _))
            {
                throw new FormatException($"Alert output '{spec}': '{host}' is not an IPv6 address.");
            }
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            if (colon >= 0 && authority.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new FormatException($"Alert output '{spec}': put an IPv6 address in brackets, e.g. syslog:udp://[::1]:514.");
            }

            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"Alert output '{spec}': the syslog host is missing.");
        }

        if (host.Contains('/', StringComparison.Ordinal) || host.Contains('@', StringComparison.Ordinal) || host.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"Alert output '{spec}': '{host}' is not a host name or address.");
        }

        int port = DefaultSyslogPort;
        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new FormatException($"Alert output '{spec}': port must be a number from 1 to 65535, not '{portText}'.");
        }

        return new AlertSinkSpec(AlertSinkKind.Syslog, null, transport, host, port);
    }
}
