using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Benchmarks.Detectors;

/// <summary>
/// Per-packet cost of <see cref="WireGuardDetector.Inspect"/> alone, on the three paths that matter:
/// a handshake flow (initiation + response, decided on packet 2), a transport-only flow (decided
/// heuristically on packet 6), and a foreign flow excluded on its first packet (the common case).
/// Each invocation replays <see cref="Flows"/> flows, with the state cleared between them as the
/// engine does at flow start.
/// </summary>
[MemoryDiagnoser]
public class WireGuardDetectorBenchmarks
{
    private const int Flows = 1000;
    private const int HandshakePackets = 2;
    private const int TransportPackets = 6;

    private readonly WireGuardDetector _detector = new();
    private byte[] _state = null!;
    private byte[][] _handshake = null!;
    private bool[] _handshakeFromClient = null!;
    private byte[][] _transport = null!;
    private bool[] _transportFromClient = null!;
    private byte[] _foreign = null!;
    private PacketInfo _info = new() { IpVersion = 4, Protocol = IpProtocol.Udp };
    private FlowRecord _flow = new() { Flags = FlowFlags.ClientIsA };

    [GlobalSetup]
    public void Setup()
    {
        _state = new byte[_detector.StateSize];

        byte[] init = Filled(148, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(init.AsSpan(4), 0x30d037d8);
        init.AsSpan(132, 16).Clear();
        byte[] resp = Filled(92, 2);
        BinaryPrimitives.WriteUInt32LittleEndian(resp.AsSpan(4), 0xab7df406);
        BinaryPrimitives.WriteUInt32LittleEndian(resp.AsSpan(8), 0x30d037d8);
        resp.AsSpan(76, 16).Clear();
        _handshake = [init, resp];
        _handshakeFromClient = [true, false];

        _transport = new byte[TransportPackets][];
        _transportFromClient = new bool[TransportPackets];
        for (int i = 0; i < TransportPackets; i++)
        {
            bool client = i % 2 == 0;
            byte[] t = Filled(client ? 128 : 1440, 4);
            BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(4), client ? 0xaaaa0001u : 0xbbbb0002u);
            BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(8), (ulong)(100 + i));
            _transport[i] = t;
            _transportFromClient[i] = client;
        }

        // A DNS query: excluded at once.
        _foreign = Convert.FromHexString("abcd01000001000000000000076578616d706c6503636f6d0000010001");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Flows)]
    public int ForeignFirstPacket()
    {
        int matches = 0;
        for (int f = 0; f < Flows; f++)
        {
            _state.AsSpan().Clear();
            matches += Feed(_foreign, fromClient: true, 0) == DetectorVerdict.Match ? 1 : 0;
        }

        return matches;
    }

    [Benchmark(OperationsPerInvoke = Flows * HandshakePackets)]
    public int HandshakeFlow() => Replay(_handshake, _handshakeFromClient);

    [Benchmark(OperationsPerInvoke = Flows * TransportPackets)]
    public int TransportOnlyFlow() => Replay(_transport, _transportFromClient);

    private int Replay(byte[][] payloads, bool[] fromClient)
    {
        int matches = 0;
        for (int f = 0; f < Flows; f++)
        {
            _state.AsSpan().Clear();
            for (int p = 0; p < payloads.Length; p++)
            {
                matches += Feed(payloads[p], fromClient[p], p) == DetectorVerdict.Match ? 1 : 0;
            }
        }

        return matches;
    }

    private DetectorVerdict Feed(byte[] payload, bool fromClient, int index)
    {
        var context = new PacketContext(in _info, in _flow, payload, fromClient, index, 0);
        DetectionMatch match = default;
        return _detector.Inspect(in context, _state, ref match);
    }

    private static byte[] Filled(int length, byte type)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 131) + 7);
        }

        data[0] = type;
        data[1] = data[2] = data[3] = 0;
        return data;
    }
}
