using System.Globalization;
using System.Net;

namespace TrafficSentinel.Cli.Evaluation;

/// <summary>One labelled flow: a row of a labels.csv (the format of ../shared/captures/ndpi/README.md).</summary>
internal sealed record FlowLabel(string File, string L4, IPAddress ClientIp, ushort ClientPort, IPAddress ServerIp, ushort ServerPort, long Packets, string Truth, string Note, int Line);

/// <summary>
/// Ground truth per flow, read from a labels.csv with the columns
/// <c>file,l4,client_ip,client_port,server_ip,server_port,packets,ndpi_proto,ndpi_category,truth,note</c>
/// (extra columns are ignored; only file, l4, the endpoints and truth are required). Flows are matched
/// on (file name, l4, the unordered pair of endpoints), as the corpus README prescribes; rows that
/// repeat a key (different VLANs, or nDPI splitting a flow) are one flow.
/// </summary>
internal sealed class LabelSet
{
    private static readonly string[] s_required = ["file", "l4", "client_ip", "client_port", "server_ip", "server_port", "truth"];
    private readonly Dictionary<FlowKeyText, FlowLabel> _byKey;

    private LabelSet(List<FlowLabel> rows, Dictionary<FlowKeyText, FlowLabel> byKey)
    {
        Rows = rows;
        _byKey = byKey;
    }

    public IReadOnlyList<FlowLabel> Rows { get; }

    /// <summary>One label per distinct flow key (the first row of each key).</summary>
    public IEnumerable<FlowLabel> Flows => _byKey.Values;

    public int FlowCount => _byKey.Count;

    public static LabelSet Load(string path)
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine() ?? throw new FormatException(path + ": empty labels file");
        string[] columns = SplitCsv(header);
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < columns.Length; i++)
        {
            index[columns[i].Trim()] = i;
        }

        foreach (string name in s_required)
        {
            if (!index.ContainsKey(name))
            {
                throw new FormatException(path + ": the header lacks the column '" + name + "' (needs " + string.Join(",", s_required) + ")");
            }
        }

        var rows = new List<FlowLabel>();
        var byKey = new Dictionary<FlowKeyText, FlowLabel>();
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string[] f = SplitCsv(line);
            string Field(string name) => index.TryGetValue(name, out int i) && i < f.Length ? f[i].Trim() : string.Empty;
            try
            {
                var label = new FlowLabel(
                    Field("file"),
                    Field("l4").ToUpperInvariant(),
                    IPAddress.Parse(Field("client_ip")),
                    ushort.Parse(Field("client_port"), CultureInfo.InvariantCulture),
                    IPAddress.Parse(Field("server_ip")),
                    ushort.Parse(Field("server_port"), CultureInfo.InvariantCulture),
                    long.TryParse(Field("packets"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long packets) ? packets : 0,
                    Field("truth").ToLowerInvariant(),
                    Field("note"),
                    lineNumber);
                if (label.Truth.Length == 0 || label.File.Length == 0)
                {
                    throw new FormatException("empty file or truth");
                }

                rows.Add(label);
                byKey.TryAdd(FlowKeyText.Of(label.File, label.L4, label.ClientIp, label.ClientPort, label.ServerIp, label.ServerPort), label);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new FormatException(path + ":" + lineNumber.ToString(CultureInfo.InvariantCulture) + ": " + e.Message, e);
            }
        }

        return new LabelSet(rows, byKey);
    }

    /// <summary>The label of the flow between the two endpoints in <paramref name="file"/> (either orientation).</summary>
    public bool TryFind(string file, string l4, IPAddress a, ushort portA, IPAddress b, ushort portB, out FlowLabel? label) =>
        _byKey.TryGetValue(FlowKeyText.Of(Path.GetFileName(file), l4, a, portA, b, portB), out label);

    /// <summary>The labels.csv name of an IP protocol: TCP, UDP, ICMP, ICMPV6, ESP, AH, GRE, IGMP, PIM, VRRP, SCTP, or IP and the number.</summary>
    public static string L4Name(byte protocol) => protocol switch
    {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPV6",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => "IP" + protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>True for labels.csv protocols whose ports are not real ports (0 in the labels).</summary>
    public static bool IsPortless(string l4) => l4 is not ("TCP" or "UDP" or "SCTP");

    /// <summary>The cells of one CSV line (RFC 4180 quoting: quoted cells may hold commas and doubled quotes).</summary>
    internal static string[] SplitCsv(string line)
    {
        // RFC 4180 quoting, enough for the note column.
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return [.. fields];
    }

    private readonly record struct FlowKeyText(string File, string L4, string Low, string High)
    {
        public static FlowKeyText Of(string file, string l4, IPAddress a, ushort portA, IPAddress b, ushort portB)
        {
            if (IsPortless(l4))
            {
                portA = portB = 0;
            }

            string x = a + "|" + portA.ToString(CultureInfo.InvariantCulture);
            string y = b + "|" + portB.ToString(CultureInfo.InvariantCulture);
            return string.CompareOrdinal(x, y) <= 0 ? new(file, l4, x, y) : new(file, l4, y, x);
        }
    }
}
