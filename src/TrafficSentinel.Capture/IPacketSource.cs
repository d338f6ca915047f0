namespace TrafficSentinel.Capture;

/// <summary>
/// A pull source of packets: a capture file (<see cref="CaptureFileSource"/>) or a live interface
/// (<see cref="LiveCaptureSource"/>). Read it from one thread; <see cref="ReadNext"/> allocates
/// nothing per packet.
/// </summary>
public interface IPacketSource : IDisposable
{
    /// <summary>The file path (as given) or the interface name.</summary>
    string Name { get; }

    /// <summary>
    /// The DLT value from <c>pcap_datalink</c>: 1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 12/14 raw
    /// IP (a file's LINKTYPE_RAW 101 comes back as 12 on Linux), 0/108 null/loop, 228/229 IPv4/IPv6.
    /// </summary>
    int LinkType { get; }

    /// <summary>How many packets <see cref="ReadNext"/> has returned so far.</summary>
    long PacketsRead { get; }

    /// <summary>libpcap's message after <see cref="ReadStatus.Error"/>; otherwise null.</summary>
    string? LastError { get; }

    /// <summary>
    /// Reads the next packet. The packet's bytes are valid until the next call. Never throws for
    /// bad input: a broken file gives <see cref="ReadStatus.Error"/> (see <see cref="LastError"/>).
    /// </summary>
    ReadStatus ReadNext(out RawPacket packet);

    /// <summary>
    /// Live sources: the kernel's received/dropped counters (allocates; call about once a second,
    /// not per packet). Files: null.
    /// </summary>
    CaptureStatistics? GetStatistics();
}
