using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Benchmarks.Detectors;

/// <summary>
/// Per-packet cost of <see cref="OpenVpnDetector.Inspect"/> on packets taken from real captures:
/// a UDP tls-auth handshake (decided at the server's reset), a TCP handshake with length framing,
/// a mid-flow P_DATA_V2 exchange (heuristic, 9 packets) and random UDP (excluded). Each operation is
/// one packet; state is cleared between flows as the engine does.
/// </summary>
[MemoryDiagnoser]
public class OpenVpnDetectorBenchmarks
{
    private const int Flows = 1000;

    // captures/openvpn-udp-1194-tls-auth.pcap frames 1-2.
    private static readonly byte[] s_clientReset = Convert.FromHexString("382746a163d38818fc37a41cc13bf87ea93ece91246afae5f39e087113000000016b033c280000000000");
    private static readonly byte[] s_serverReset = Convert.FromHexString("40e42b1c899dedd1aab3e73cd14a91d8106f8623f1a5384425120336db000000016b033c2801000000002746a163d38818fc00000000");

    private readonly OpenVpnDetector _detector = new();
    private byte[] _state = null!;
    private byte[] _tcpClient = null!;
    private byte[] _tcpServer = null!;
    private byte[][] _data = null!;
    private byte[][] _random = null!;
    private PacketInfo _info;
    private FlowRecord _flow;

    [GlobalSetup]
    public void Setup()
    {
        _state = new byte[_detector.StateSize];
        _flow = new FlowRecord { Flags = FlowFlags.ClientIsA };
        _tcpClient = Framed(s_clientReset);
        _tcpServer = Framed(s_serverReset);
        _data = new byte[9][];
        for (int i = 0; i < _data.Length; i++)
        {
            byte[] p = new byte[120];
            new Random(i).NextBytes(p);
            BinaryPrimitives.WriteUInt32BigEndian(p, 0x48000000);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), (uint)(100 + i));
            _data[i] = p;
        }

        _random = new byte[4][];
        var random = new Random(7);
        for (int i = 0; i < _random.Length; i++)
        {
            _random[i] = new byte[200];
            random.NextBytes(_random[i]);
        }
    }

    [Benchmark(OperationsPerInvoke = Flows * 2)]
    public int UdpTlsAuthHandshake()
    {
        int matches = 0;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            Inspect(s_clientReset, true, IpProtocol.Udp, 0, 0);
            matches += (int)Inspect(s_serverReset, false, IpProtocol.Udp, 0, 1);
        }

        return matches;
    }

    [Benchmark(OperationsPerInvoke = Flows * 2)]
    public int TcpFramedHandshake()
    {
        int matches = 0;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            Inspect(_tcpClient, true, IpProtocol.Tcp, 1000, 0);
            matches += (int)Inspect(_tcpServer, false, IpProtocol.Tcp, 5000, 1);
        }

        return matches;
    }

    [Benchmark(OperationsPerInvoke = Flows * 9)]
    public int UdpDataChannelMidFlow()
    {
        int matches = 0;
        byte[][] data = _data;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            for (int i = 0; i < data.Length; i++)
            {
                matches += (int)Inspect(data[i], i % 3 != 2, IpProtocol.Udp, 0, i);
            }
        }

        return matches;
    }

    /// <summary>The common case and the baseline: ordinary traffic, given up on.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Flows * 4)]
    public int UdpRandomExcluded()
    {
        int verdicts = 0;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            for (int i = 0; i < _random.Length; i++)
            {
                verdicts += (int)Inspect(_random[i], (i & 1) == 0, IpProtocol.Udp, 0, i);
            }
        }

        return verdicts;
    }

    private DetectorVerdict Inspect(byte[] payload, bool fromClient, byte protocol, uint seq, int index)
    {
        _info.Protocol = protocol;
        _info.TcpSequence = seq;
        _info.PayloadLength = payload.Length;
        var context = new PacketContext(in _info, in _flow, payload, fromClient, index, 1795374120L * 1_000_000);
        DetectionMatch match = default;
        return _detector.Inspect(in context, _state, ref match);
    }

    private static byte[] Framed(byte[] pdu)
    {
        byte[] framed = new byte[pdu.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)pdu.Length);
        pdu.CopyTo(framed, 2);
        return framed;
    }
}
