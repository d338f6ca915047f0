using TrafficSentinel.Engine.Pipeline;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Engine.Tests.Pipeline;

public class PacketRingTests
{
    private const int SmallRing = 4 * (40 + PacketRing.MaxFrame);

    [Fact]
    public void Writes_BecomeVisibleInBatchesOrOnFlush()
    {
        var ring = new PacketRing(SmallRing);
        for (int i = 0; i < PacketRing.PublishEvery - 1; i++)
        {
            ring.Write([1], 0, i, 1, 0);
        }

        Assert.False(ring.TryRead(out _));
        ring.Write([1], 0, PacketRing.PublishEvery, 1, 0);
        Assert.True(ring.TryRead(out _));
    }

    [Fact]
    public void WriteThenRead_GivesBackEveryFieldAndByte()
    {
        var ring = new PacketRing(SmallRing);
        byte[] frame = [1, 2, 3, 4, 5];

        ring.Write(frame, timestampMicros: 123, number: 7, wireLength: 60, tag: 3, clockMicros: 456);
        Assert.False(ring.TryRead(out _));
        ring.Flush();

        Assert.True(ring.TryRead(out RingPacket packet));
        Assert.Equal(frame, packet.Data.ToArray());
        Assert.Equal(123, packet.TimestampMicros);
        Assert.Equal(7, packet.Number);
        Assert.Equal(60, packet.WireLength);
        Assert.Equal(3, packet.Tag);
        Assert.Equal(456, packet.ClockMicros);
        ring.Release(packet);
        Assert.False(ring.TryRead(out _));
    }

    [Fact]
    public void ProducerAndConsumerThreads_PassEveryPacketInOrderThroughManyWraps()
    {
        const int Count = 200_000;
        var ring = new PacketRing(SmallRing);
        var producer = new Thread(() =>
        {
            var random = new Random(5);
            byte[] buffer = new byte[70_000];
            for (int i = 0; i < Count; i++)
            {
                int length = i % 1000 == 0 ? random.Next(60_000, 70_000) : random.Next(0, 1600);
                for (int j = 0; j < Math.Min(length, 8); j++)
                {
                    buffer[j] = (byte)(i + j);
                }

                ring.Write(buffer.AsSpan(0, length), i * 10L, i + 1, length + 4, i % 3);
            }

            ring.Complete();
        });
        producer.Start();

        var check = new Random(5);
        int received = 0;
        while (true)
        {
            // Read the flag first: once it is set, a failed read means the ring is drained.
            bool completed = ring.IsCompleted;
            if (!ring.TryRead(out RingPacket packet))
            {
                if (completed)
                {
                    break;
                }

                Thread.SpinWait(20);
                continue;
            }

            int i = received;
            int expectedLength = i % 1000 == 0 ? check.Next(60_000, 70_000) : check.Next(0, 1600);
            Assert.Equal(expectedLength, packet.Data.Length);
            Assert.Equal(i + 1, packet.Number);
            Assert.Equal(i * 10L, packet.TimestampMicros);
            Assert.Equal(expectedLength + 4, packet.WireLength);
            Assert.Equal(i % 3, packet.Tag);
            for (int j = 0; j < Math.Min(expectedLength, 8); j++)
            {
                Assert.Equal((byte)(i + j), packet.Data[j]);
            }

            ring.Release(packet);
            received++;
        }

        producer.Join();
        Assert.Equal(Count, received);
        Assert.True(ring.ProducerWaits > 0, "the small ring should have filled up at least once");
    }

    [Fact]
    public void ReadAndWrite_AllocateNothing()
    {
        var ring = new PacketRing(SmallRing);
        byte[] frame = new byte[1500];

        // Warm up with the same loop, so that tiering and on-stack replacement happen before measuring.
        PassThrough(ring, frame);
        PassThrough(ring, frame);
        Assert.Equal(0, Allocations.Fewest(() => PassThrough(ring, frame)));
    }

    private static void PassThrough(PacketRing ring, byte[] frame)
    {
        for (int i = 0; i < 10_000; i++)
        {
            ring.Write(frame, i, i, 1500, 0);
            ring.Flush();
            Assert.True(ring.TryRead(out RingPacket packet));
            ring.Release(packet);
        }
    }

    [Fact]
    public void OversizeFrame_IsCutToTheMaximum()
    {
        var ring = new PacketRing(SmallRing);
        ring.Write(new byte[PacketRing.MaxFrame + 10], 0, 1, PacketRing.MaxFrame + 10, 0);
        ring.Complete();

        Assert.True(ring.TryRead(out RingPacket packet));
        Assert.Equal(PacketRing.MaxFrame, packet.Data.Length);
        Assert.Equal(PacketRing.MaxFrame + 10, packet.WireLength);
    }
}
