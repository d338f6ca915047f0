using System.Buffers.Binary;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Tests.Flows;

public class FlowTableTests
{
    private const long Second = FlowTableOptions.MicrosPerSecond;

    private static PacketInfo Packet(string src, ushort sport, string dst, ushort dport, byte protocol = IpProtocol.Udp, TcpFlags flags = TcpFlags.None)
    {
        byte[] ip = protocol == IpProtocol.Tcp
            ? TestPackets.Ipv4Tcp(src, sport, dst, dport, [], syn: (flags & TcpFlags.Syn) != 0, ack: (flags & TcpFlags.Ack) != 0)
            : TestPackets.Ipv4Udp(src, sport, dst, dport, []);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, ip, out PacketInfo info));
        return info;
    }

    [Fact]
    public void Construction_TouchesNoneOfTheTablesMemory()
    {
        // A 2M-flow table is about 900 MB of records. Building it must not fault them in: the
        // sensor would wait for that before its first packet, and hold memory it may never use.
        using System.Diagnostics.Process self = System.Diagnostics.Process.GetCurrentProcess();
        long before = self.WorkingSet64;
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 2_000_000, HashSeed = 1 });
        self.Refresh();
        long grown = self.WorkingSet64 - before;

        Assert.True(grown < table.MemoryBytes / 4, $"constructing a {table.MemoryBytes:N0}-byte table grew the working set by {grown:N0} bytes");

        // Records are handed out from the untouched part as flows arrive, and work as usual.
        PacketInfo packet = Packet("10.0.0.9", 5000, "10.0.0.1", 53);
        Assert.Equal(0, table.Track(in packet, 0, out _, out bool created));
        Assert.True(created);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Track_FreedRecordsAreReusedBeforeUntouchedOnes()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, HashSeed = 1, IdleTimeoutMicros = 10 * Second });
        int first = table.Track(Packet("10.0.0.9", 5000, "10.0.0.1", 53), 0, out _, out _);
        int second = table.Track(Packet("10.0.0.9", 5001, "10.0.0.1", 53), 0, out _, out _);
        table.Expire(20 * Second);
        Assert.Equal(0, table.Count);

        int third = table.Track(Packet("10.0.0.9", 5002, "10.0.0.1", 53), 21 * Second, out _, out bool created);

        Assert.True(created);
        Assert.NotEqual(first, second);
        Assert.True(third == first || third == second, $"record {third} is neither freed record ({first}, {second})");
    }

    [Fact]
    public void Track_BothDirections_FindTheSameFlow()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, HashSeed = 1 });
        PacketInfo request = Packet("10.0.0.9", 5000, "10.0.0.1", 53);
        PacketInfo reply = Packet("10.0.0.1", 53, "10.0.0.9", 5000);

        int a = table.Track(in request, 0, out bool fromA1, out bool created1);
        int b = table.Track(in reply, 1, out bool fromA2, out bool created2);

        Assert.Equal(a, b);
        Assert.True(created1);
        Assert.False(created2);
        Assert.NotEqual(fromA1, fromA2);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Track_FirstPacketSender_IsTheClient()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, HashSeed = 1 });
        // The higher address sends first: the client is endpoint B of the canonical key.
        PacketInfo first = Packet("10.0.0.9", 5000, "10.0.0.1", 53);
        int index = table.Track(in first, 0, out _, out _);

        ref FlowRecord flow = ref table[index];
        Assert.False(flow.ClientIsA);
        Assert.Equal(first.Source, flow.ClientAddress);
        Assert.Equal(5000, flow.ClientPort);
        Assert.Equal(53, flow.ServerPort);
    }

    [Fact]
    public void Track_FlowSeenFromSynAck_MakesTheSynAckReceiverTheClient()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, HashSeed = 1 });
        PacketInfo synAck = Packet("10.0.0.1", 443, "10.0.0.9", 40000, IpProtocol.Tcp, TcpFlags.Syn | TcpFlags.Ack);
        int index = table.Track(in synAck, 0, out _, out _);

        Assert.Equal(synAck.Destination, table[index].ClientAddress);
        Assert.Equal(443, table[index].ServerPort);
    }

    [Fact]
    public void Track_SameTupleOnAnotherVlan_IsAnotherFlow()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, HashSeed = 1 });
        PacketInfo p = Packet("10.0.0.9", 5000, "10.0.0.1", 53);
        PacketInfo q = p;
        q.VlanId = 7;

        Assert.NotEqual(table.Track(in p, 0, out _, out _), table.Track(in q, 0, out _, out _));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Expire_IdleFlows_EndWithIdleTimeoutInOrder()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, IdleTimeoutMicros = 10 * Second, HashSeed = 1 }, observer);
        PacketInfo a = Packet("10.0.0.1", 1, "10.0.0.2", 2);
        PacketInfo b = Packet("10.0.0.1", 3, "10.0.0.2", 4);
        table.Track(in a, 0, out _, out _);
        table.Track(in b, 5 * Second, out _, out _);

        table.Expire(12 * Second);
        Assert.Equal([(1, FlowEndReason.IdleTimeout)], observer.Ended);

        table.Expire(15 * Second);
        Assert.Equal([(1, FlowEndReason.IdleTimeout), (3, FlowEndReason.IdleTimeout)], observer.Ended);
        Assert.Equal(0, table.Count);
        Assert.Equal(2, table.FlowsIdleExpired);
    }

    [Fact]
    public void Track_RecentPacket_KeepsAFlowAlive()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, IdleTimeoutMicros = 10 * Second, HashSeed = 1 }, observer);
        PacketInfo a = Packet("10.0.0.1", 1, "10.0.0.2", 2);
        PacketInfo b = Packet("10.0.0.1", 3, "10.0.0.2", 4);
        table.Track(in a, 0, out _, out _);
        table.Track(in b, 1 * Second, out _, out _);
        table.Track(in a, 8 * Second, out _, out _);

        table.Expire(13 * Second);

        Assert.Equal([(3, FlowEndReason.IdleTimeout)], observer.Ended);
    }

    [Fact]
    public void Track_PastTheActiveTimeout_HandsOnTheRecordAndContinues()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, IdleTimeoutMicros = 100 * Second, ActiveTimeoutMicros = 30 * Second, HashSeed = 1 }, observer);
        PacketInfo a = Packet("10.0.0.1", 1, "10.0.0.2", 2);
        int first = table.Track(in a, 0, out _, out _);
        ulong firstId = table[first].Id;
        table[first].PacketsAtoB = 5;

        int second = table.Track(in a, 31 * Second, out _, out bool created);

        Assert.False(created);
        Assert.Equal(first, second);
        Assert.Equal([(1, FlowEndReason.ActiveTimeout)], observer.Ended);
        Assert.NotEqual(firstId, table[second].Id);
        Assert.Equal(0, table[second].PacketsAtoB);
        Assert.Equal(31 * Second, table[second].FirstSeenMicros);
    }

    [Fact]
    public void MarkClosed_UsesTheShorterClosedTimeout()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16, IdleTimeoutMicros = 100 * Second, ClosedTimeoutMicros = 2 * Second, HashSeed = 1 }, observer);
        PacketInfo a = Packet("10.0.0.1", 1, "10.0.0.2", 2, IpProtocol.Tcp, TcpFlags.Syn);
        int index = table.Track(in a, 0, out _, out _);
        table.MarkClosed(index);

        table.Expire(1 * Second);
        Assert.Empty(observer.Ended);
        table.Expire(2 * Second);
        Assert.Equal([(1, FlowEndReason.TcpClosed)], observer.Ended);
    }

    [Fact]
    public void Track_WhenFull_EvictsTheLeastRecentlySeen()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 3, HashSeed = 1 }, observer);
        for (ushort port = 1; port <= 3; port++)
        {
            PacketInfo p = Packet("10.0.0.1", port, "10.0.0.2", 9);
            table.Track(in p, port, out _, out _);
        }

        PacketInfo touch = Packet("10.0.0.1", 1, "10.0.0.2", 9);
        table.Track(in touch, 10, out _, out _);
        PacketInfo fourth = Packet("10.0.0.1", 4, "10.0.0.2", 9);
        table.Track(in fourth, 11, out _, out _);

        Assert.Equal([(2, FlowEndReason.Evicted)], observer.Ended);
        Assert.Equal(3, table.Count);
        Assert.Equal(1, table.FlowsEvicted);
    }

    [Fact]
    public void Flush_EndsEveryFlow()
    {
        var observer = new RecordingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 8, HashSeed = 1 }, observer);
        for (ushort port = 1; port <= 5; port++)
        {
            PacketInfo p = Packet("10.0.0.1", port, "10.0.0.2", 9);
            table.Track(in p, port, out _, out _);
        }

        table.Flush();

        Assert.Equal(5, observer.Ended.Count);
        Assert.All(observer.Ended, e => Assert.Equal(FlowEndReason.EndOfInput, e.Reason));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Track_MillionRandomTuples_StaysWithinTheCapAndAllocatesNothing()
    {
        const int Cap = 65_536;
        var observer = new CountingObserver();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = Cap, HashSeed = 42 }, observer);
        long memoryBytes = table.MemoryBytes;
        var random = new Random(7);
        PacketInfo packet = Packet("10.0.0.1", 1, "10.0.0.2", 2);
        byte[] scratch = new byte[16];

        // Warm up with the same loop (tiering, on-stack replacement), then measure the flood itself.
        Flood(table, random, scratch, ref packet, 0, 100_000, Cap);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Flood(table, random, scratch, ref packet, 100_000, 1_000_000, Cap);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(Cap, table.Count);
        Assert.Equal(table.FlowsCreated - Cap, table.FlowsEvicted);
        Assert.Equal(table.FlowsEvicted, observer.Ended);
        Assert.Equal(memoryBytes, table.MemoryBytes);
        Assert.True(memoryBytes <= (long)Cap * (FlowTable.RecordSize + 8), $"{memoryBytes} bytes for {Cap} flows");
    }

    private static void Flood(FlowTable table, Random random, byte[] scratch, ref PacketInfo packet, int first, int count, int cap)
    {
        for (int i = first; i < first + count; i++)
        {
            random.NextBytes(scratch);
            packet.Source = IpAddr.FromV4(scratch);
            packet.Destination = IpAddr.FromV4(scratch.AsSpan(4));
            packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(scratch.AsSpan(8));
            packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(scratch.AsSpan(10));
            table.Track(in packet, i, out _, out _);
            Assert.True(table.Count <= cap);
        }
    }

    [Fact]
    public void Expire_RandomTraffic_NeverEndsAFlowEarlyAndNeverMuchLate()
    {
        const long Timeout = 10 * Second;
        var random = new Random(99);
        var lastSeen = new Dictionary<ushort, long>();
        long now = 0;
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 4096, IdleTimeoutMicros = Timeout, HashSeed = 5 }, new LatenessChecker(lastSeen, () => now, Timeout));
        for (int step = 0; step < 200_000; step++)
        {
            now += random.Next(0, 2_000);
            // A sliding window of busy ports: each port is busy for a while, then falls idle.
            ushort port = (ushort)(1 + ((((step / 2000) * 7) + random.Next(0, 40)) % 60_000));
            PacketInfo p = Packet("10.0.0.1", port, "10.0.0.2", 9);
            table.Track(in p, now, out _, out _);
            lastSeen[port] = now;
            if (step % 500 == 0)
            {
                table.Expire(now);
            }
        }

        Assert.True(table.FlowsIdleExpired > 100, "the run should expire flows: " + table.FlowsIdleExpired);
    }

    private sealed class LatenessChecker(Dictionary<ushort, long> lastSeen, Func<long> now, long timeout) : IFlowObserver
    {
        public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason)
        {
            long idle = now() - lastSeen[flow.Key.PortA];
            Assert.Equal(idle, now() - flow.LastSeenMicros);
            Assert.True(idle >= timeout, "ended after " + idle + " µs idle");
            Assert.True(idle < 2 * timeout, "ended only after " + idle + " µs idle");
            lastSeen.Remove(flow.Key.PortA);
        }
    }

    private sealed class RecordingObserver : IFlowObserver
    {
        public List<(int Port, FlowEndReason Reason)> Ended { get; } = [];

        public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason) => Ended.Add((flow.Key.PortA, reason));
    }

    private sealed class CountingObserver : IFlowObserver
    {
        public long Ended { get; private set; }

        public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason) => Ended++;
    }
}
