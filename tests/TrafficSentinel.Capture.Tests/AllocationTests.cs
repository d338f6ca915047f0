using TrafficSentinel.TestSupport;
using Xunit.Abstractions;

namespace TrafficSentinel.Capture.Tests;

/// <summary>
/// ReadNext allocates nothing per packet: measured with the current thread's allocation counter
/// around a few thousand reads, after a warm-up. An allocation assertion, not a timing one.
/// </summary>
public sealed class AllocationTests(ITestOutputHelper output)
{
    private const int Packets = 5000;
    private const int WarmUp = 200;

    [Theory]
    [InlineData("us.pcap")]
    [InlineData("ns.pcap")]
    [InlineData("ns.pcapng")]
    public void ReadNext_AfterWarmUp_AllocatesNothing(string name)
    {
        using TempDirectory dir = new();
        bool nanoseconds = name.StartsWith("ns", StringComparison.Ordinal);
        List<TestPacket> packets = PcapWriter.MakePackets(Packets, nanoseconds);
        byte[] bytes = name.EndsWith(".pcapng", StringComparison.Ordinal)
            ? PcapWriter.PcapNg([(1, nanoseconds ? 9 : 6)], packets)
            : PcapWriter.Pcap(1, nanoseconds, packets);
        string path = dir.Write(name, bytes);

        // Warm the end-of-capture path too (on a copy read to its end): its first run may JIT or make
        // a marshalling stub on this thread, which is not per-packet work.
        using (CaptureFileSource warm = CaptureFileSource.Open(dir.Write("warm-" + name, bytes)))
        {
            while (warm.ReadNext(out _) == ReadStatus.Packet)
            {
            }
        }

        using CaptureFileSource source = CaptureFileSource.Open(path);
        long checksum = ReadPackets(source, WarmUp);

        // The rest of the file in three windows, each measured (see Allocations for why the cleanest counts).
        const int Window = (Packets - WarmUp) / 3;
        long allocated = long.MaxValue;
        for (int w = 0; w < 3; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            checksum += ReadPackets(source, w < 2 ? Window : Packets - WarmUp - (2 * Window));
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        ReadStatus end = source.ReadNext(out _);
        Assert.Equal(ReadStatus.EndOfCapture, end);

        output.WriteLine($"{name}: {allocated} B in the cleanest of three windows of {Window} packets; checksum {checksum}");
        Assert.Equal(Packets, source.PacketsRead);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReadNext_FromTheFirstPacket_AllocatesAtMostATinyConstant()
    {
        using TempDirectory dir = new();
        string path = dir.Write("a.pcap", PcapWriter.Pcap(1, false, PcapWriter.MakePackets(Packets, false)));

        // Warm the code path on another file so that JIT work isn't counted.
        string warm = dir.Write("warm.pcap", PcapWriter.Pcap(1, false, PcapWriter.MakePackets(10, false)));
        using (CaptureFileSource w = CaptureFileSource.Open(warm))
        {
            ReadPackets(w, 10);
        }

        // Three fresh sources, opened before measuring, each read whole (see Allocations for why the cleanest counts).
        CaptureFileSource[] sources = [CaptureFileSource.Open(path), CaptureFileSource.Open(path), CaptureFileSource.Open(path)];
        int next = 0;
        long allocated = Allocations.Fewest(() => ReadPackets(sources[next++], Packets));
        foreach (CaptureFileSource source in sources)
        {
            source.Dispose();
        }

        output.WriteLine($"{allocated} B over all {Packets} packets of a fresh source");
        Assert.True(allocated < 1024, $"allocated {allocated} B reading {Packets} packets");
    }

    private static long ReadPackets(CaptureFileSource source, int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            // No Assert.Equal here: xunit's comparer allocates about 500 B per call.
            if (source.ReadNext(out RawPacket packet) != ReadStatus.Packet)
            {
                throw new InvalidOperationException("expected a packet at " + (source.PacketsRead + 1) + ": " + source.LastError);
            }

            sum += packet.Data.Length + packet.WireLength + (packet.TimestampMicros & 0xFF) + packet.Number;
        }

        return sum;
    }
}
