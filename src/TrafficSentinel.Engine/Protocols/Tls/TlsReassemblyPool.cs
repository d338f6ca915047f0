namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// A bounded set of fixed-size buffers for reassembling TLS handshake records split over TCP
/// segments. Everything is allocated at construction; a flow holds a slot only while a record is
/// in progress and hands it back when done or when the flow ends. When every slot is taken the
/// caller falls back to single-segment parsing and <see cref="Exhausted"/> counts it.
/// Not thread-safe: one pool belongs to one detector instance, which one engine thread drives.
/// </summary>
public sealed class TlsReassemblyPool
{
    public const int DefaultSlotSize = 8192;

    /// <summary>Slot numbers fit in a byte of per-flow state (stored as slot + 1).</summary>
    public const int MaxSlots = 255;

    private readonly byte[] _buffer;
    private readonly int[] _filled;
    private readonly int[] _free;
    private readonly bool[] _inUse;
    private int _freeCount;

    public TlsReassemblyPool(int slots, int slotSize = DefaultSlotSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MaxSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 512);
        SlotCount = slots;
        SlotSize = slotSize;
        _buffer = new byte[slots * slotSize];
        _filled = new int[slots];
        _inUse = new bool[slots];
        _free = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            _free[i] = slots - 1 - i;
        }

        _freeCount = slots;
    }

    public int SlotCount { get; }

    public int SlotSize { get; }

    public int InUse => SlotCount - _freeCount;

    /// <summary>Times a slot was wanted and none was free.</summary>
    public long Exhausted { get; private set; }

    /// <summary>Times a record did not fit in a slot.</summary>
    public long Overflows { get; private set; }

    public long Acquired { get; private set; }

    /// <summary>Takes a free slot (empty), or returns false and counts the exhaustion.</summary>
    public bool TryAcquire(out int slot)
    {
        if (_freeCount == 0)
        {
            Exhausted++;
            slot = -1;
            return false;
        }

        slot = _free[--_freeCount];
        _inUse[slot] = true;
        _filled[slot] = 0;
        Acquired++;
        return true;
    }

    /// <summary>Returns a slot; releasing a slot that is not in use does nothing.</summary>
    public void Release(int slot)
    {
        if ((uint)slot >= (uint)SlotCount || !_inUse[slot])
        {
            return;
        }

        _inUse[slot] = false;
        _filled[slot] = 0;
        _free[_freeCount++] = slot;
    }

    /// <summary>Appends bytes to a slot; false (and nothing written) when they would not fit.</summary>
    public bool TryAppend(int slot, ReadOnlySpan<byte> data)
    {
        if ((uint)slot >= (uint)SlotCount || !_inUse[slot])
        {
            return false;
        }

        int filled = _filled[slot];
        if (data.Length > SlotSize - filled)
        {
            Overflows++;
            return false;
        }

        data.CopyTo(_buffer.AsSpan((slot * SlotSize) + filled));
        _filled[slot] = filled + data.Length;
        return true;
    }

    /// <summary>Empties a slot that stays in use.</summary>
    public void Clear(int slot)
    {
        if ((uint)slot < (uint)SlotCount)
        {
            _filled[slot] = 0;
        }
    }

    /// <summary>The bytes appended so far.</summary>
    public ReadOnlySpan<byte> Contents(int slot) =>
        (uint)slot < (uint)SlotCount && _inUse[slot] ? _buffer.AsSpan(slot * SlotSize, _filled[slot]) : default;
}
