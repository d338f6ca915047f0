using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// Decoding cost per link type. The packets are the corpus's Ethernet IP packets, re-framed for each
/// link type (the IP packet stays the same), so the link layer is the only thing that varies.
/// </summary>
[MemoryDiagnoser]
public class DecoderBenchmarks
{
    private const int Packets = 8_192;
    private byte[][] _frames = null!;

    [Params("Ethernet", "Vlan2", "Sll", "Sll2", "Raw", "Null")]
    public string Link { get; set; } = "Ethernet";

    public int LinkTypeValue { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        InMemoryCapture capture = InMemoryCapture.Load(LinkType.Ethernet);
        var frames = new List<byte[]>();
        for (int i = 0; i < capture.Count && frames.Count < Packets; i++)
        {
            ReadOnlySpan<byte> frame = capture.Frame(i);
            ushort etherType = frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) : (ushort)0;
            if (etherType is 0x0800 or 0x86DD)
            {
                frames.Add(Reframe(frame.Slice(14), etherType, Link));
            }
        }

        _frames = [.. frames];
        LinkTypeValue = Link switch
        {
            "Ethernet" or "Vlan2" => LinkType.Ethernet,
            "Sll" => LinkType.LinuxSll,
            "Sll2" => LinkType.LinuxSll2,
            "Raw" => LinkType.RawLinux,
            "Null" => LinkType.Null,
            _ => throw new ArgumentException(Link),
        };
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Decode()
    {
        byte[][] frames = _frames;
        int linkType = LinkTypeValue;
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
