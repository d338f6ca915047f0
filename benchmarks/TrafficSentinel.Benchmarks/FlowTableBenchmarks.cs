using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// The flow table at several fill levels: looking up flows it holds (a packet of a known flow),
/// inserting new flows into a full table (each insert evicts), and sweeping expired flows.
/// The baseline is the lookup.
/// </summary>
[MemoryDiagnoser]
public class FlowTableBenchmarks
{
    private const int Operations = 65_536;
    private PacketInfo[] _known = null!;
    private PacketInfo[] _fresh = null!;
    private FlowTable _table = null!;
    private FlowTable _expiring = null!;
    private long _now;
    private long _expiringNow;
    private int _freshCursor;

    [Params(1_000, 100_000, 1_000_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(17);
        _known = MakePackets(random, Flows);
        _fresh = MakePackets(random, 1 << 20);
        _table = new FlowTable(new FlowTableOptions { MaxFlows = Flows, IdleTimeoutMicros = 3_600 * FlowTableOptions.MicrosPerSecond, HashSeed = 9 });
        _expiring = new FlowTable(new FlowTableOptions { MaxFlows = Math.Max(Flows, Operations), IdleTimeoutMicros = 1, HashSeed = 3 });
        for (int i = 0; i < _known.Length; i++)
        {
            _table.Track(in _known[i], ++_now, out _, out _);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int LookupKnownFlow()
    {
        PacketInfo[] known = _known;
        FlowTable table = _table;
        int sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            // A stride through the flows, so consecutive lookups hit different cache lines.
            sum += table.Track(in known[(int)((uint)(i * 40_503) % (uint)known.Length)], ++_now, out _, out _);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int InsertIntoFullTable()
    {
        PacketInfo[] fresh = _fresh;
        FlowTable table = _table;
        int sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            sum += table.Track(in fresh[_freshCursor++ & (fresh.Length - 1)], ++_now, out _, out _);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int InsertThenExpire()
    {
        // Fill with short-lived flows, then one sweep ends them all: the cost per flow of expiry. The
        // sweep leaves the table empty, so every invocation reuses it (nothing allocated).
        FlowTable table = _expiring;
        PacketInfo[] fresh = _fresh;
        long start = _expiringNow;
        for (int i = 0; i < Operations; i++)
        {
            table.Track(in fresh[i], start + i, out _, out _);
        }

        _expiringNow = start + Operations + 10;
        table.Expire(_expiringNow);
        return table.Count;
    }

    private static PacketInfo[] MakePackets(Random random, int count)
    {
        var packets = new PacketInfo[count];
        Span<byte> address = stackalloc byte[4];
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(address);
            packets[i].Source = IpAddr.FromV4(address);
            random.NextBytes(address);
            packets[i].Destination = IpAddr.FromV4(address);
            packets[i].SourcePort = (ushort)random.Next(1024, 65536);
            packets[i].DestinationPort = 443;
            packets[i].Protocol = IpProtocol.Tcp;
            packets[i].IpVersion = 4;
        }

        return packets;
    }
}
