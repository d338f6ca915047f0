using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Capture.Tests;

/// <summary>
/// Live capture on the root-namespace end of a veth pair while a namespace sends UDP datagrams to
/// it. Needs root and iproute2; skipped elsewhere, required under CI=true.
/// </summary>
public sealed class LiveCaptureSourceTests
{
    private const int Port = 40_213;
    private static readonly int[] s_payloadSizes = [10, 20, 30, 40, 50];

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadNext_UdpFromNamespace_IsCapturedWithCorrectLengths(bool immediate)
    {
        using VethPair pair = VethPair.Create();
        using LiveCaptureSource source = LiveCaptureSource.Open(new LiveCaptureOptions
        {
            Interface = pair.HostInterface,
            Filter = "udp and dst port " + Port,
            ReadTimeoutMs = 100,
            Immediate = immediate,
            BufferSize = 4 << 20,
        });
        Assert.Equal(pair.HostInterface, source.Name);
        Assert.Equal(1, source.LinkType);

        foreach (int size in s_payloadSizes)
        {
            pair.SendUdpToHost(Port, size);
        }

        List<PacketRecord> packets = ReadPackets(source, s_payloadSizes.Length, TimeSpan.FromSeconds(15));

        Assert.Equal(s_payloadSizes.Length, packets.Count);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        for (int i = 0; i < packets.Count; i++)
        {
            PacketRecord packet = packets[i];
            int size = s_payloadSizes[i];
            Assert.Equal(i + 1, packet.Number);
            Assert.Equal(14 + 20 + 8 + size, packet.WireLength);
            Assert.Equal(packet.WireLength, packet.Data.Length);
            AssertUdpDatagram(packet.Data, pair.PeerAddress, pair.HostAddress, size);
            Assert.InRange(packet.TimestampMicros, now - 120_000_000, now + 5_000_000);
            if (i > 0)
            {
                Assert.True(packet.TimestampMicros >= packets[i - 1].TimestampMicros, "timestamps go backwards");
            }
        }

        // Idle: a read gives Timeout, soon, and never EndOfCapture.
        Stopwatch watch = Stopwatch.StartNew();
        Assert.Equal(ReadStatus.Timeout, source.ReadNext(out _));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"idle read took {watch.Elapsed}");
        Assert.Equal(ReadStatus.Timeout, source.ReadNext(out _));

        CaptureStatistics? statistics = source.GetStatistics();
        Assert.NotNull(statistics);
        Assert.True(statistics.Value.Received >= s_payloadSizes.Length, $"kernel received {statistics.Value.Received}");
        Assert.Equal(0, statistics.Value.Dropped);
        Assert.Null(source.LastError);
        Assert.Equal(s_payloadSizes.Length, source.PacketsRead);
    }

    [SkippableFact]
    public void Interrupt_FromAnotherThread_WakesABlockedReadWhichThenCarriesOn()
    {
        using VethPair pair = VethPair.Create();
        const int ReadTimeoutMs = 2000;
        using LiveCaptureSource source = LiveCaptureSource.Open(new LiveCaptureOptions
        {
            Interface = pair.HostInterface,
            Filter = "udp and dst port " + Port,
            ReadTimeoutMs = ReadTimeoutMs,
            Immediate = true,
        });

        ReadStatus status = ReadStatus.Packet;
        TimeSpan blocked = TimeSpan.Zero;
        Thread reader = new(() =>
        {
            Stopwatch w = Stopwatch.StartNew();
            status = source.ReadNext(out _);
            blocked = w.Elapsed;
        });
        reader.Start();
        Thread.Sleep(300);
        source.Interrupt();
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "the reader did not come back");

        Assert.Equal(ReadStatus.Timeout, status);
        Assert.True(blocked < TimeSpan.FromMilliseconds(ReadTimeoutMs - 500), $"interrupted read took {blocked}");

        // Afterwards reading goes on normally: packets arrive, and an idle read waits again.
        pair.SendUdpToHost(Port, 25);
        List<PacketRecord> packets = ReadPackets(source, 1, TimeSpan.FromSeconds(15));
        Assert.Single(packets);
        Assert.Equal(14 + 20 + 8 + 25, packets[0].WireLength);

        Stopwatch idle = Stopwatch.StartNew();
        Assert.Equal(ReadStatus.Timeout, source.ReadNext(out _));
        Assert.True(idle.Elapsed > TimeSpan.FromMilliseconds(ReadTimeoutMs / 2), $"idle read returned after {idle.Elapsed}: not waiting any more");
    }

    [SkippableFact]
    public void ReadNext_Live_AllocatesNothingPerPacketOrTimeout()
    {
        using VethPair pair = VethPair.Create();
        using LiveCaptureSource source = LiveCaptureSource.Open(new LiveCaptureOptions
        {
            Interface = pair.HostInterface,
            Filter = "udp and dst port " + Port,
            ReadTimeoutMs = 50,
            Immediate = true,
            Snaplen = 2048, // in immediate mode each ring slot is snaplen-sized: keep the burst within the ring
        });

        const int Burst = 300;
        pair.Exec("exec bash -c 'for i in $(seq " + Burst + "); do printf %s xxxxxxxxxx > /dev/udp/" + pair.HostAddress + "/" + Port + "; done'");

        // Warm up: the first packets and one timeout.
        int packets = 0;
        int timeouts = 0;
        Stopwatch watch = Stopwatch.StartNew();
        while (packets < 20 && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            packets += source.ReadNext(out _) == ReadStatus.Packet ? 1 : 0;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        while (packets < Burst && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            ReadStatus status = source.ReadNext(out RawPacket packet);
            if (status == ReadStatus.Packet && packet.WireLength == 52)
            {
                packets++;
            }
            else if (status == ReadStatus.Timeout)
            {
                timeouts++;
            }
        }

        // Two idle reads: the poll() path with a timeout.
        ReadStatus idle1 = source.ReadNext(out _);
        ReadStatus idle2 = source.ReadNext(out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(packets == Burst, $"read {packets} of {Burst} datagrams, {timeouts} timeouts, {source.PacketsRead} packets in all; kernel: {source.GetStatistics()}");
        Assert.Equal(ReadStatus.Timeout, idle1);
        Assert.Equal(ReadStatus.Timeout, idle2);
        Assert.True(allocated == 0, $"allocated {allocated} B over {Burst - 20} live packets and {timeouts + 2} timeouts");
    }

    [SkippableFact]
    public void GetStatistics_BurstOverflowingTheRing_CountsEveryPacketAsReadOrDropped()
    {
        using VethPair pair = VethPair.Create();

        // Immediate mode with whole-packet slots: libpcap's default 2 MiB ring holds only a few dozen.
        using LiveCaptureSource source = LiveCaptureSource.Open(new LiveCaptureOptions
        {
            Interface = pair.HostInterface,
            Filter = "udp and dst port " + Port,
            ReadTimeoutMs = 50,
            Immediate = true,
        });

        const int Burst = 300;
        pair.Exec("exec bash -c 'for i in $(seq " + Burst + "); do printf %s xxxxxxxxxx > /dev/udp/" + pair.HostAddress + "/" + Port + "; done'");
        ReadStatus status;
        while ((status = source.ReadNext(out _)) == ReadStatus.Packet)
        {
        }

        CaptureStatistics? statistics = source.GetStatistics();

        Assert.Equal(ReadStatus.Timeout, status);
        Assert.NotNull(statistics);
        Assert.Equal(Burst, statistics.Value.Received);
        Assert.Equal(Burst, source.PacketsRead + statistics.Value.Dropped);
    }

    [SkippableFact]
    public void CaptureInterfaces_List_ShowsTheVethWithItsAddress()
    {
        using VethPair pair = VethPair.Create();

        CaptureInterface? veth = CaptureInterfaces.List().SingleOrDefault(i => i.Name == pair.HostInterface);

        Assert.NotNull(veth);
        Assert.Contains(pair.HostAddress, veth.Addresses);
        Assert.True(veth.IsUp);
        Assert.False(veth.IsLoopback);
    }

    [Fact]
    public void CaptureInterfaces_List_ShowsLoopback()
    {
        IReadOnlyList<CaptureInterface> all = CaptureInterfaces.List();

        CaptureInterface? lo = all.SingleOrDefault(i => i.Name == "lo");
        Assert.NotNull(lo);
        Assert.True(lo.IsLoopback);
        Assert.Contains(IPAddress.Loopback, lo.Addresses);
    }

    [Fact]
    public void Open_UnknownInterface_ThrowsOneLine()
    {
        CaptureException e = Assert.Throws<CaptureException>(() => LiveCaptureSource.Open(new LiveCaptureOptions { Interface = "tsnope0" }));

        Assert.Equal("tsnope0: no such capture interface", e.Message);
    }

    [Fact]
    public void Open_BadFilter_ThrowsOneLineWithLibpcapsReason()
    {
        CaptureException e = Assert.Throws<CaptureException>(
            () => LiveCaptureSource.Open(new LiveCaptureOptions { Interface = "lo", Filter = "udp prot 1" }));

        Assert.Equal("lo: bad capture filter \"udp prot 1\": can't parse filter expression: syntax error", e.Message);
    }

    [Theory]
    [InlineData(0, 250, "lo: snaplen must be positive (got 0)")]
    [InlineData(65535, 0, "lo: read timeout must be positive (got 0 ms)")]
    public void Open_BadOptions_ThrowOneLine(int snaplen, int readTimeoutMs, string message)
    {
        CaptureException e = Assert.Throws<CaptureException>(
            () => LiveCaptureSource.Open(new LiveCaptureOptions { Interface = "lo", Snaplen = snaplen, ReadTimeoutMs = readTimeoutMs }));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void TryValidateFilter_TellsGoodFromBad()
    {
        Assert.True(LiveCaptureSource.TryValidateFilter("udp port 51820 or tcp port 443", out string? none));
        Assert.Null(none);
        Assert.False(LiveCaptureSource.TryValidateFilter("tcp port", out string? error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    private static List<PacketRecord> ReadPackets(LiveCaptureSource source, int count, TimeSpan deadline)
    {
        List<PacketRecord> packets = [];
        Stopwatch watch = Stopwatch.StartNew();
        while (packets.Count < count && watch.Elapsed < deadline)
        {
            ReadStatus status = source.ReadNext(out RawPacket packet);
            Assert.NotEqual(ReadStatus.EndOfCapture, status);
            Assert.True(status != ReadStatus.Error, source.LastError);
            if (status == ReadStatus.Packet)
            {
                packets.Add(new PacketRecord(packet.Number, packet.TimestampMicros, packet.WireLength, packet.Data.ToArray()));
            }
        }

        return packets;
    }

    private static void AssertUdpDatagram(byte[] frame, IPAddress source, IPAddress destination, int payloadLength)
    {
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        ReadOnlySpan<byte> ip = frame.AsSpan(14);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(17, ip[9]);
        Assert.Equal(source, new IPAddress(ip.Slice(12, 4)));
        Assert.Equal(destination, new IPAddress(ip.Slice(16, 4)));
        ReadOnlySpan<byte> udp = ip[20..];
        Assert.Equal(Port, BinaryPrimitives.ReadUInt16BigEndian(udp[2..]));
        Assert.Equal(8 + payloadLength, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
        Assert.True(udp[8..].IndexOfAnyExcept((byte)'x') < 0, "payload is not the sent bytes");
    }
}
