using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace TrafficSentinel.Engine.Pipeline;

/// <summary>
/// A bounded single-producer, single-consumer queue of packets, copied into one preallocated byte
/// array, for handing packets from the capture thread to a worker thread. Each record is a 40-byte
/// header (timestamp, clock, packet number, wire length, captured length, source tag) and the frame bytes,
/// padded to 8; a record never wraps: when it does not fit before the end, a wrap marker sends both
/// sides back to the start. Positions are ever-increasing longs published with release/acquire
/// semantics, so neither side takes a lock; each side keeps its own copy of its position and of the
/// last position it read of the other, and publishes its own only every <see cref="PublishEvery"/>
/// packets (and whenever it would otherwise wait), so the two cache lines do not travel between
/// cores on every packet. Allocates nothing after construction.
/// </summary>
public sealed class PacketRing
{
    /// <summary>The largest frame kept whole (libpcap's largest snapshot length).</summary>
    public const int MaxFrame = 262_144;

    /// <summary>Packets between two publications of a side's position.</summary>
    public const int PublishEvery = 32;

    private const int HeaderSize = 40;
    private const int WrapMarker = -1;

    private readonly byte[] _buffer;
    private readonly int _capacity;

    // Producer and consumer positions on separate cache lines.
    private PaddedLong _written;
    private PaddedLong _read;
    private volatile bool _completed;

    // Producer-local.
    private long _producerPosition;
    private long _producerSeenRead;
    private int _producerUnpublished;

    // Consumer-local.
    private long _consumerPosition;
    private long _consumerSeenWritten;
    private int _consumerUnpublished;

    public PacketRing(int capacityBytes)
    {
        if (capacityBytes < 4 * (HeaderSize + MaxFrame) || capacityBytes % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "at least four maximum-size packets, a multiple of 8");
        }

        _buffer = new byte[capacityBytes];
        _capacity = capacityBytes;
    }

    /// <summary>Times the producer found the ring full and had to wait (back-pressure, not loss).</summary>
    public long ProducerWaits { get; private set; }

    /// <summary>True once the producer has said no more packets will come.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Producer: copies one packet in (at most <see cref="MaxFrame"/> bytes of it), waiting while the ring is full.</summary>
    public void Write(ReadOnlySpan<byte> frame, long timestampMicros, long number, int wireLength, int tag) =>
        Write(frame, timestampMicros, number, wireLength, tag, timestampMicros);

    /// <summary>Producer: as above, with the producer's packet-time clock carried beside the timestamp.</summary>
    public void Write(ReadOnlySpan<byte> frame, long timestampMicros, long number, int wireLength, int tag, long clockMicros)
    {
        int length = Math.Min(frame.Length, MaxFrame);
        int size = (HeaderSize + length + 7) & ~7;
        long written = _producerPosition;
        int offset = (int)(written % _capacity);
        int tail = _capacity - offset;
        long needed = size <= tail ? size : tail + size;
        WaitForSpace(written, needed);
        if (size > tail)
        {
            // Not enough room before the end: mark the rest as skipped and start over at 0.
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), WrapMarker);
            written += tail;
            offset = 0;
        }

        Span<byte> record = _buffer.AsSpan(offset, size);
        BinaryPrimitives.WriteInt32LittleEndian(record, length);
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(4), wireLength);
        BinaryPrimitives.WriteInt64LittleEndian(record.Slice(8), timestampMicros);
        BinaryPrimitives.WriteInt64LittleEndian(record.Slice(16), number);
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(24), tag);
        BinaryPrimitives.WriteInt64LittleEndian(record.Slice(32), clockMicros);
        frame.Slice(0, length).CopyTo(record.Slice(HeaderSize));
        _producerPosition = written + size;
        if (++_producerUnpublished >= PublishEvery)
        {
            Flush();
        }
    }

    /// <summary>Producer: makes everything written so far visible to the consumer now.</summary>
    public void Flush()
    {
        _producerUnpublished = 0;
        Volatile.Write(ref _written.Value, _producerPosition);
    }

    /// <summary>Producer: no more packets. The consumer drains what is left, then sees the end.</summary>
    public void Complete()
    {
        Flush();
        _completed = true;
    }

    /// <summary>
    /// Consumer: the next packet, or false when the ring is empty right now (check
    /// <see cref="IsCompleted"/> and call again). The packet's bytes stay valid until
    /// <see cref="Release"/>; call it before the next <see cref="TryRead"/>.
    /// </summary>
    public bool TryRead(out RingPacket packet)
    {
        long read = _consumerPosition;
        if (read == _consumerSeenWritten)
        {
            _consumerSeenWritten = Volatile.Read(ref _written.Value);
            if (read == _consumerSeenWritten)
            {
                // Empty: hand back all the space read so far before the caller waits.
                PublishRead();
                packet = default;
                return false;
            }
        }

        int offset = (int)(read % _capacity);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
        if (length == WrapMarker)
        {
            read += _capacity - offset;
            offset = 0;
            length = BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        }

        ReadOnlySpan<byte> record = _buffer.AsSpan(offset);
        int size = (HeaderSize + length + 7) & ~7;
        packet = new RingPacket(
            record.Slice(HeaderSize, length),
            BinaryPrimitives.ReadInt64LittleEndian(record.Slice(8)),
            BinaryPrimitives.ReadInt64LittleEndian(record.Slice(16)),
            BinaryPrimitives.ReadInt32LittleEndian(record.Slice(4)),
            BinaryPrimitives.ReadInt32LittleEndian(record.Slice(24)),
            BinaryPrimitives.ReadInt64LittleEndian(record.Slice(32)),
            read + size);
        return true;
    }

    /// <summary>Consumer: frees the space of the packet last read.</summary>
    public void Release(in RingPacket packet)
    {
        _consumerPosition = packet.End;
        if (++_consumerUnpublished >= PublishEvery)
        {
            PublishRead();
        }
    }

    private void PublishRead()
    {
        _consumerUnpublished = 0;
        Volatile.Write(ref _read.Value, _consumerPosition);
    }

    private void WaitForSpace(long written, long needed)
    {
        if (_capacity - (written - _producerSeenRead) >= needed)
        {
            return;
        }

        _producerSeenRead = Volatile.Read(ref _read.Value);
        if (_capacity - (written - _producerSeenRead) >= needed)
        {
            return;
        }

        // Full: let the consumer see everything before waiting for it.
        ProducerWaits++;
        Flush();
        var spinner = default(SpinWait);
        while (_capacity - (written - (_producerSeenRead = Volatile.Read(ref _read.Value))) < needed)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    [InlineArray(8)]
    private struct PaddedLong
    {
        public long Value;
    }
}

/// <summary>One packet read from a <see cref="PacketRing"/>; its bytes live in the ring until released.</summary>
public readonly ref struct RingPacket
{
    public RingPacket(ReadOnlySpan<byte> data, long timestampMicros, long number, int wireLength, int tag, long clockMicros, long end)
    {
        ClockMicros = clockMicros;
        Data = data;
        TimestampMicros = timestampMicros;
        Number = number;
        WireLength = wireLength;
        Tag = tag;
        End = end;
    }

    public ReadOnlySpan<byte> Data { get; }

    public long TimestampMicros { get; }

    public long Number { get; }

    public int WireLength { get; }

    /// <summary>The producer's packet-time clock when it wrote the packet.</summary>
    public long ClockMicros { get; }

    /// <summary>The producer's tag, e.g. which capture source the packet came from.</summary>
    public int Tag { get; }

    internal long End { get; }
}
