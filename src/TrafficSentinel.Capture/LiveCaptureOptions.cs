namespace TrafficSentinel.Capture;

/// <summary>How to open a live interface (see <see cref="LiveCaptureSource.Open"/>).</summary>
public sealed record LiveCaptureOptions
{
    /// <summary>The interface name as <c>sentinel interfaces</c> lists it (e.g. <c>eth0</c>, <c>any</c>).</summary>
    public required string Interface { get; init; }

    /// <summary>A BPF filter expression (pcap-filter(7) syntax), or null to capture everything.</summary>
    public string? Filter { get; init; }

    /// <summary>Bytes kept per packet. libpcap's own default is 262144, which keeps whole packets.</summary>
    public int Snaplen { get; init; } = 262_144;

    /// <summary>Promiscuous mode: see traffic not addressed to this host too.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>The kernel ring buffer in bytes (<c>pcap_set_buffer_size</c>); null keeps libpcap's default (2 MiB).</summary>
    public int? BufferSize { get; init; }

    /// <summary>
    /// How long one read waits for a packet before <see cref="ReadStatus.Timeout"/>, in milliseconds;
    /// must be positive, so that the reading loop gets to run its timers and check for stop.
    /// </summary>
    public int ReadTimeoutMs { get; init; } = 250;

    /// <summary>
    /// Immediate mode: deliver each packet at once instead of batching (more wake-ups, lower latency).
    /// On Linux libpcap then uses a TPACKET_V2 ring with one snaplen-sized slot per packet, so with the
    /// default snaplen and buffer the ring holds only about 32 packets: raise <see cref="BufferSize"/>
    /// or lower <see cref="Snaplen"/> for bursty links. Without it (TPACKET_V3) packets come in blocks,
    /// up to <see cref="ReadTimeoutMs"/> late.
    /// </summary>
    public bool Immediate { get; init; }
}
