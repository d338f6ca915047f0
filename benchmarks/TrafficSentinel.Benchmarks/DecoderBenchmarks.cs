using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// Decoding cost per link type. The packets are the corpus's Ethernet IP packets, re-framed for each
/// link type (the IP packet stays the same), so the link layer is the only thing that varies;
/// ratios are to Ethernet.
/// </summary>
[MemoryDiagnoser]
public class DecoderBenchmarks
{
    private const int Packets = 8_192;
    private static readonly string[] s_links = ["Ethernet", "Vlan2", "Sll", "Sll2", "Raw", "Null"];
    private readonly Dictionary<string, byte[][]> _frames = [];

    [GlobalSetup]
    public void Setup()
    {
        InMemoryCapture capture = InMemoryCapture.Load(LinkType.Ethernet);
        var ipPackets = new List<(byte[] Ip, ushort EtherType)>();
        for (int i = 0; i < capture.Count && ipPackets.Count < Packets; i++)
        {
            ReadOnlySpan<byte> frame = capture.Frame(i);
            ushort etherType = frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) : (ushort)0;
            if (etherType is 0x0800 or 0x86DD)
            {
                ipPackets.Add((frame.Slice(14).ToArray(), etherType));
            }
        }

        foreach (string link in s_links)
        {
            _frames[link] = [.. ipPackets.Select(p => Reframe(p.Ip, p.EtherType, link))];
        }
    }

    /// <summary>The baseline: Ethernet, the link type of nearly every span port and capture file.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)]
    public int Ethernet() => Decode(LinkType.Ethernet, _frames["Ethernet"]);

    /// <summary>Ethernet with two stacked VLAN tags (802.1ad outer, 802.1Q inner).</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int Vlan2() => Decode(LinkType.Ethernet, _frames["Vlan2"]);

    /// <summary>Linux cooked capture v1 (tcpdump -i any).</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int Sll() => Decode(LinkType.LinuxSll, _frames["Sll"]);

    /// <summary>Linux cooked capture v2.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int Sll2() => Decode(LinkType.LinuxSll2, _frames["Sll2"]);

    /// <summary>Raw IP (tunnel interfaces).</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int Raw() => Decode(LinkType.RawLinux, _frames["Raw"]);

    /// <summary>BSD loopback (DLT_NULL).</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int Null() => Decode(LinkType.Null, _frames["Null"]);

    private static int Decode(int linkType, byte[][] frames)
    {
        int payload = 0;
        for (int i = 0; i < Packets; i++)
        {
            if (PacketDecoder.TryDecode(linkType, frames[i % frames.Length], out PacketInfo info) == DecodeStatus.Ok)
            {
                payload += info.PayloadLength;
            }
        }

        return payload;
    }

    private static byte[] Reframe(ReadOnlySpan<byte> ip, ushort etherType, string link)
    {
        byte[] header = link switch
        {
            "Ethernet" => new byte[14],
            "Vlan2" => new byte[22],
            "Sll" => new byte[16],
            "Sll2" => new byte[20],
            "Raw" => [],
            "Null" => new byte[4],
            _ => throw new ArgumentException(link),
        };
        switch (link)
        {
            case "Ethernet":
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(12), etherType);
                break;
            case "Vlan2":
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(12), 0x88A8);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 100);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16), 0x8100);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18), 7);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(20), etherType);
                break;
            case "Sll":
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), etherType);
                break;
            case "Sll2":
                BinaryPrimitives.WriteUInt16BigEndian(header, etherType);
                break;
            case "Null":
                BinaryPrimitives.WriteUInt32LittleEndian(header, etherType == 0x0800 ? 2u : 10u);
                break;
        }

        return [.. header, .. ip];
    }
}
