namespace TrafficSentinel.Capture;

/// <summary>What one <see cref="IPacketSource.ReadNext"/> call produced.</summary>
public enum ReadStatus
{
    /// <summary>A packet was read; the <see cref="RawPacket"/> is valid until the next call.</summary>
    Packet,

    /// <summary>
    /// Live sources only: no packet arrived within the read timeout, or the read was interrupted
    /// (<see cref="LiveCaptureSource.Interrupt"/>). Run timers, check for stop, and read again.
    /// </summary>
    Timeout,

    /// <summary>Capture files only: the file ended cleanly. Further calls return this again.</summary>
    EndOfCapture,

    /// <summary>
    /// libpcap reported an error (a truncated or corrupt file, a failed device); see
    /// <see cref="IPacketSource.LastError"/>. Further calls return this again.
    /// </summary>
    Error,
}
