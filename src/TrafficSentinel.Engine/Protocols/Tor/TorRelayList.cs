using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Engine.Protocols.Tor;

/// <summary>
/// Known Tor relay addresses, for attributing a TCP flow whose server endpoint is a relay's ORPort.
/// Loaded once (cold path) from either
/// <list type="bullet">
/// <item>a Tor network-status consensus (dir-spec §3.4.1): each <c>r nickname identity [digest]
/// date time IPv4 ORPort DirPort</c> line gives IPv4:ORPort, and each following
/// <c>a [IPv6]:port</c> (or <c>a IPv4:port</c>) line another OR address of that relay; all other
/// lines are ignored (a file is read as a consensus when it has an <c>r </c> line or starts
/// with <c>network-status-version</c>); or</item>
/// <item>a plain list: one <c>IP</c>, <c>IP:port</c>, <c>[IPv6]:port</c> or bare IPv6 per line,
/// blank lines and <c>#</c> comments (whole-line or trailing) ignored; an entry without a port
/// matches every port.</item>
/// </list>
/// Entries are kept sorted in parallel arrays; <see cref="Contains(IpAddr, ushort)"/> is a binary search with no
/// allocation.
/// </summary>
public sealed class TorRelayList
{
    private readonly ulong[] _high;
    private readonly ulong[] _low;
    private readonly ushort[] _ports;

    private TorRelayList(List<(IpAddr Address, ushort Port)> entries)
    {
        entries.Sort(static (a, b) =>
        {
            int c = a.Address.CompareTo(b.Address);
            return c != 0 ? c : a.Port.CompareTo(b.Port);
        });

        // Drop duplicates.
        var unique = new List<(IpAddr Address, ushort Port)>(entries.Count);
        foreach ((IpAddr address, ushort port) in entries)
        {
            if (unique.Count == 0 || unique[^1].Address != address || unique[^1].Port != port)
            {
                unique.Add((address, port));
            }
        }

        _high = new ulong[unique.Count];
        _low = new ulong[unique.Count];
        _ports = new ushort[unique.Count];
        for (int i = 0; i < unique.Count; i++)
        {
            _high[i] = unique[i].Address.High;
            _low[i] = unique[i].Address.Low;
            _ports[i] = unique[i].Port;
        }
    }

    /// <summary>Address entries (an address listed with two ports counts twice).</summary>
    public int Count => _ports.Length;

    /// <summary>Reads a consensus or plain list from a file. Throws <see cref="FormatException"/> naming the bad line.</summary>
    public static TorRelayList Load(string path) => Parse(File.ReadAllLines(path), path);

    /// <summary>Parses the lines of a consensus or plain list (see the type's remarks).</summary>
    public static TorRelayList Parse(IEnumerable<string> lines, string source = "relay list")
    {
        string[] all = [.. lines];
        bool consensus = false;
        foreach (string raw in all)
        {
            string line = raw.Trim();
            if (line.StartsWith("r ", StringComparison.Ordinal) || line.StartsWith("network-status-version", StringComparison.Ordinal))
            {
                consensus = true;
                break;
            }
        }

        var entries = new List<(IpAddr, ushort)>();
        for (int n = 0; n < all.Length; n++)
        {
            string line = all[n];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line.Substring(0, hash);
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (consensus)
            {
                string[] tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (tokens[0] == "r")
                {
                    // r nickname identity digest date time IP ORPort DirPort (microdescriptor consensus: no digest).
                    if (tokens.Length < 8 || !IPAddress.TryParse(tokens[^3], out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork
                        || !ushort.TryParse(tokens[^2], NumberStyles.None, CultureInfo.InvariantCulture, out ushort orPort))
                    {
                        throw new FormatException($"{source}:{n + 1}: malformed consensus r line");
                    }

                    entries.Add((IpAddr.FromIPAddress(ip), orPort));
                }
                else if (tokens[0] == "a" && tokens.Length == 2)
                {
                    if (!TryParseEndpoint(tokens[1], out IpAddr address, out ushort port) || port == 0)
                    {
                        throw new FormatException($"{source}:{n + 1}: malformed consensus a line");
                    }

                    entries.Add((address, port));
                }

                continue;
            }

            if (!TryParseEndpoint(line, out IpAddr plain, out ushort plainPort))
            {
                throw new FormatException($"{source}:{n + 1}: expected IP, IP:port or [IPv6]:port, got '{line}'");
            }

            entries.Add((plain, plainPort));
        }

        return new TorRelayList(entries);
    }

    /// <summary>True when <paramref name="address"/> is listed with <paramref name="port"/> or with no port.</summary>
    public bool Contains(IpAddr address, ushort port) => Contains(address, port, exactPortOnly: false);

    /// <summary>
    /// True when <paramref name="address"/> is listed with <paramref name="port"/>, or (unless
    /// <paramref name="exactPortOnly"/>) listed with no port.
    /// </summary>
    public bool Contains(IpAddr address, ushort port, bool exactPortOnly)
    {
        int lo = 0;
        int hi = _ports.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_high[mid] < address.High || (_high[mid] == address.High && _low[mid] < address.Low))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (int i = lo; i < _ports.Length && _high[i] == address.High && _low[i] == address.Low; i++)
        {
            if (_ports[i] == port || (_ports[i] == 0 && !exactPortOnly))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>IP, IPv4:port, [IPv6]:port or bare IPv6; port 0 when none is given.</summary>
    private static bool TryParseEndpoint(string text, out IpAddr address, out ushort port)
    {
        address = default;
        port = 0;
        string host = text;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text.Substring(1, close - 1);
            string rest = text.Substring(close + 1);
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryParsePort(rest.Substring(1), out port)))
            {
                return false;
            }
        }
        else if (text.Contains(':', StringComparison.Ordinal) && text.IndexOf(':', StringComparison.Ordinal) == text.LastIndexOf(':'))
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text.Substring(0, colon);
            if (!TryParsePort(text.Substring(colon + 1), out port))
            {
                return false;
            }
        }

        // IPAddress.TryParse also takes shorthand such as "1.2" or "16909060"; insist on dotted quads.
        if (!IPAddress.TryParse(host, out IPAddress? ip)
            || (ip.AddressFamily == AddressFamily.InterNetwork && CountDots(host) != 3)
            || (ip.AddressFamily == AddressFamily.InterNetworkV6 && !host.Contains(':', StringComparison.Ordinal)))
        {
            port = 0;
            return false;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        address = IpAddr.FromIPAddress(ip);
        return true;
    }

    private static int CountDots(string text)
    {
        int dots = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                dots++;
            }
        }

        return dots;
    }

    private static bool TryParsePort(string text, out ushort port) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port != 0;
}
