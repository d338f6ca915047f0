using System.Text;
using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Benchmarks.Detectors;

/// <summary>
/// Per-packet cost of <see cref="TorDetector.Inspect"/>: a whole TLS 1.3 Tor link flow to its match
/// (ClientHello with a Tor SNI, ServerHello flight, three cell records each way: 9 packets, the
/// ClientHello split over two segments so the reassembly pool is used), and an ordinary HTTPS
/// ClientHello excluded on its first packet. Operations are packets.
/// </summary>
[MemoryDiagnoser]
public class TorDetectorBenchmarks
{
    private const int Flows = 1000;
    private readonly TorDetector _detector = new();
    private byte[] _state = [];
    private (bool FromClient, byte[] Payload)[] _torFlow = [];
    private byte[] _benignHello = [];
    private FlowRecord _flow;

    [GlobalSetup]
    public void Setup()
    {
        _state = new byte[_detector.StateSize];
        _flow.Flags = FlowFlags.ClientIsA;
        byte[] hello = Record(22, Handshake(1, ClientHelloBody("www.soi3soyvavptzfurtkwm5igtp.com")));
        byte[] serverHello = [0x03, 0x03, .. new byte[32], 0x00, 0x13, 0x01, 0x00, 0x00, 0x06, 0x00, 0x2B, 0x00, 0x02, 0x03, 0x04];
        _torFlow =
        [
            (true, hello[..100]),
            (true, hello[100..]),
            (false, [.. Record(22, Handshake(2, serverHello)), .. Record(20, [1]), .. Record(23, new byte[601])]),
            (true, [.. Record(20, [1]), .. Record(23, new byte[69])]),
            (false, Record(23, new byte[531])),
            (true, Record(23, new byte[1045])),
            (false, Record(23, new byte[531])),
            (true, Record(23, new byte[1045])),
            (false, Record(23, new byte[531])),
            (true, Record(23, new byte[531])),
        ];
        _benignHello = Record(22, Handshake(1, ClientHelloBody("www.my-site.com")));
    }

    [Benchmark(OperationsPerInvoke = Flows * 10)]
    public int TorTls13FlowToMatch()
    {
        int matches = 0;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            uint clientSeq = 1;
            uint serverSeq = 1;
            for (int i = 0; i < _torFlow.Length; i++)
            {
                (bool fromClient, byte[] payload) = _torFlow[i];
                uint seq = fromClient ? clientSeq : serverSeq;
                if (Inspect(fromClient, seq, payload, i) == DetectorVerdict.Match)
                {
                    matches++;
                }

                if (fromClient)
                {
                    clientSeq += (uint)payload.Length;
                }
                else
                {
                    serverSeq += (uint)payload.Length;
                }
            }

            _detector.OnFlowEnded(_state);
        }

        return matches;
    }

    /// <summary>The common case and the baseline: an ordinary TLS client, given up on at its ClientHello.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Flows)]
    public int OrdinaryClientHelloExcluded()
    {
        int excluded = 0;
        for (int f = 0; f < Flows; f++)
        {
            Array.Clear(_state);
            if (Inspect(true, 1, _benignHello, 0) == DetectorVerdict.Exclude)
            {
                excluded++;
            }
        }

        return excluded;
    }

    private DetectorVerdict Inspect(bool fromClient, uint sequence, byte[] payload, int index)
    {
        var info = new PacketInfo { Protocol = IpProtocol.Tcp, TcpSequence = sequence, PayloadLength = payload.Length };
        var context = new PacketContext(in info, in _flow, payload, fromClient, index, 0);
        DetectionMatch match = default;
        return _detector.Inspect(in context, _state, ref match);
    }

    private static byte[] ClientHelloBody(string sni)
    {
        var b = new List<byte> { 0x03, 0x03 };
        b.AddRange(new byte[32]);
        b.Add(32);
        b.AddRange(new byte[32]);
        b.AddRange([0x00, 0x06, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0x01, 0x00]);
        byte[] name = Encoding.ASCII.GetBytes(sni);
        var ext = new List<byte> { 0x00, 0x00, 0x00, (byte)(name.Length + 5), 0x00, (byte)(name.Length + 3), 0x00, 0x00, (byte)name.Length };
        ext.AddRange(name);
        ext.AddRange([0x00, 0x2B, 0x00, 0x03, 0x02, 0x03, 0x04]);
        ext.AddRange([0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1D, 0x00, 0x20, .. new byte[32]]); // key_share x25519
        ext.AddRange([0x00, 0x15, 0x01, 0x2C, .. new byte[300]]); // padding to a realistic size
        b.Add((byte)(ext.Count >> 8));
        b.Add((byte)ext.Count);
        b.AddRange(ext);
        return [.. b];
    }

    private static byte[] Handshake(byte type, byte[] body) => [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] Record(byte type, byte[] fragment) => [type, 0x03, 0x03, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];
}
