namespace TrafficSentinel.Capture;

/// <summary>
/// One captured packet as libpcap handed it over. <see cref="Data"/> points into libpcap's own
/// buffer: it is valid only until the next <see cref="IPacketSource.ReadNext"/> call on the same
/// source (or its disposal), so it must never be stored.
/// </summary>
public readonly ref struct RawPacket
{
    public RawPacket(ReadOnlySpan<byte> data, long timestampMicros, int wireLength, long number)
    {
        Data = data;
        TimestampMicros = timestampMicros;
        WireLength = wireLength;
        Number = number;
    }

    /// <summary>The captured bytes, starting at the link-layer header (at most the snaplen).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Capture time in microseconds since the Unix epoch (nanoseconds are truncated).</summary>
    public long TimestampMicros { get; }

    /// <summary>The packet's length on the wire; larger than <c>Data.Length</c> when snapped.</summary>
    public int WireLength { get; }

    /// <summary>1-based index of this packet within its source (the <c>pcap_cnt</c> of EVE records).</summary>
    public long Number { get; }
}
