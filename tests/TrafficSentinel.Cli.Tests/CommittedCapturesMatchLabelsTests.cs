using System.Globalization;
using System.Net;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Cli.Tests;

/// <summary>
/// The captures committed under <c>captures/</c> (made by <c>captures/generate.sh</c>) and their
/// <c>labels.csv</c> must never drift apart: every pcap has rows, every row's flow is in its pcap with
/// the same packet count, every IP flow in a pcap has a row, and every truth is a known class.
/// Flows are bidirectional: l4 plus the unordered pair of (ip, port) endpoints.
/// </summary>
public sealed class CommittedCapturesMatchLabelsTests
{
    private static readonly string[] s_expectedHeader =
        ["file", "l4", "client_ip", "client_port", "server_ip", "server_port", "packets", "ndpi_proto", "ndpi_category", "truth", "note"];

    /// <summary>The truth classes of <c>shared/captures/ndpi/README.md</c>.</summary>
    private static readonly HashSet<string> s_knownTruths = new(StringComparer.Ordinal)
    {
        "openvpn", "wireguard", "tor", "ipsec", "l2tp", "pptp", "sstp", "anyconnect", "softether",
        "shadowsocks", "psiphon", "ultrasurf", "other-vpn", "benign",
    };

    private static readonly Lazy<List<LabelRow>> s_labels = new(() => LabelRow.ReadAll(Path.Combine(TestEnvironment.ProjectCaptures, "labels.csv")));

    public static TheoryData<string> CommittedPcaps()
    {
        TheoryData<string> data = [];
        foreach (string path in PcapPaths())
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Fact]
    public void CommittedCaptures_FolderHoldsPcapsAndLabels()
    {
        Assert.True(File.Exists(Path.Combine(TestEnvironment.ProjectCaptures, "labels.csv")), "captures/labels.csv is missing");
        Assert.NotEmpty(PcapPaths());
        Assert.NotEmpty(s_labels.Value);
    }

    [Fact]
    public void CommittedCaptures_LabelsHeaderIsTheNdpiCorpusHeader()
    {
        string header = File.ReadLines(Path.Combine(TestEnvironment.ProjectCaptures, "labels.csv")).First();
        Assert.Equal(s_expectedHeader, LabelSet.SplitCsv(header));
    }

    [Fact]
    public void CommittedCaptures_TruthValuesAreKnownClasses()
    {
        List<string> unknown = s_labels.Value
            .Where(r => !s_knownTruths.Contains(r.Truth))
            .Select(r => $"{r.File}: {r.Truth}")
            .ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public void CommittedCaptures_EveryLabelledFileExists()
    {
        List<string> missing = s_labels.Value
            .Select(r => r.File)
            .Distinct(StringComparer.Ordinal)
            .Where(f => !File.Exists(Path.Combine(TestEnvironment.ProjectCaptures, f)))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void CommittedCaptures_NoFlowIsLabelledTwiceInOneFile()
    {
        List<string> duplicates = s_labels.Value
            .GroupBy(r => (r.File, r.Key))
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.File}: {g.Key.Key}")
            .ToList();
        Assert.Empty(duplicates);
    }

    [Theory]
    [MemberData(nameof(CommittedPcaps))]
    public void CommittedCaptures_PcapAndLabelsAgree(string file)
    {
        Dictionary<FlowKey, LabelRow> rows = s_labels.Value
            .Where(r => r.File == file)
            .ToDictionary(r => r.Key);
        Assert.True(rows.Count > 0, $"{file} has no rows in captures/labels.csv");

        Dictionary<FlowKey, int> flows = ReadFlows(Path.Combine(TestEnvironment.ProjectCaptures, file));

        List<string> problems = [];
        foreach ((FlowKey key, int packets) in flows)
        {
            if (!rows.TryGetValue(key, out LabelRow? row))
            {
                problems.Add($"IP flow without a row: {key} ({packets} packets)");
            }
            else if (row.Packets != packets)
            {
                problems.Add($"{key}: labels.csv says {row.Packets} packets, the pcap holds {packets}");
            }
        }

        foreach (FlowKey key in rows.Keys.Where(k => !flows.ContainsKey(k)))
        {
            problems.Add($"labelled flow not in the pcap: {key}");
        }

        Assert.True(problems.Count == 0, $"{file}:\n  " + string.Join("\n  ", problems));
    }

    private static List<string> PcapPaths() =>
        Directory.Exists(TestEnvironment.ProjectCaptures)
            ? Directory.EnumerateFiles(TestEnvironment.ProjectCaptures, "*.pcap")
                .Concat(Directory.EnumerateFiles(TestEnvironment.ProjectCaptures, "*.pcapng"))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    /// <summary>Every IP flow of a capture with its packet count (both directions).</summary>
    private static Dictionary<FlowKey, int> ReadFlows(string path)
    {
        Dictionary<FlowKey, int> flows = [];
        using CaptureFileReaderDevice device = new(path);
        device.Open();
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
        {
            RawCapture raw = capture.GetPacket();
            Packet packet = Packet.ParsePacket(raw.LinkLayerType, raw.Data);
            IPPacket? ip = packet.Extract<IPPacket>();
            if (ip is null)
            {
                continue;
            }

            int sourcePort = 0;
            int destinationPort = 0;
            switch (ip.PayloadPacket)
            {
                case TcpPacket tcp:
                    sourcePort = tcp.SourcePort;
                    destinationPort = tcp.DestinationPort;
                    break;
                case UdpPacket udp:
                    sourcePort = udp.SourcePort;
                    destinationPort = udp.DestinationPort;
                    break;
                default:
                    break;
            }

            FlowKey key = FlowKey.Create(L4Name(ip.Protocol), ip.SourceAddress, sourcePort, ip.DestinationAddress, destinationPort);
            flows[key] = flows.GetValueOrDefault(key) + 1;
        }

        return flows;
    }

    private static string L4Name(ProtocolType protocol) => LabelSet.L4Name((byte)protocol);

    /// <summary>A bidirectional flow: l4 and the two endpoints in a canonical (sorted) order.</summary>
    private readonly record struct FlowKey(string L4, string EndpointA, string EndpointB)
    {
        public static FlowKey Create(string l4, IPAddress ipA, int portA, IPAddress ipB, int portB)
        {
            string a = Endpoint(ipA, portA);
            string b = Endpoint(ipB, portB);
            return string.CompareOrdinal(a, b) <= 0 ? new FlowKey(l4, a, b) : new FlowKey(l4, b, a);
        }

        public override string ToString() => $"{L4} {EndpointA} <-> {EndpointB}";

        // IPAddress.ToString gives the compressed IPv6 form, as labels.csv does; parsing the
        // row's text first makes both sides canonical.
        private static string Endpoint(IPAddress ip, int port) => $"[{ip}]:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A labels.csv row, read by the same <see cref="LabelSet"/> that <c>sentinel evaluate</c> uses.</summary>
    private sealed record LabelRow(string File, FlowKey Key, long Packets, string Truth)
    {
        public static List<LabelRow> ReadAll(string path) =>
            [.. LabelSet.Load(path).Rows.Select(r => new LabelRow(r.File, FlowKey.Create(r.L4, r.ClientIp, r.ClientPort, r.ServerIp, r.ServerPort), r.Packets, r.Truth))];
    }
}
