namespace TrafficSentinel.Capture;

/// <summary>
/// The kernel's counters for a live capture, as <c>pcap_stats</c> reports them: packets received by
/// the filter, dropped because the buffer was full, and dropped by the interface or its driver.
/// On Linux the counters are cumulative since the device was opened; libpcap keeps them in 32 bits.
/// </summary>
public readonly record struct CaptureStatistics(long Received, long Dropped, long InterfaceDropped);
