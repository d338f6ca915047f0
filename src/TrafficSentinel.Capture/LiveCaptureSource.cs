using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSentinel.Capture;

/// <summary>
/// Captures from a live interface through libpcap, read with the pull API on the caller's thread.
/// <see cref="ReadNext"/> never returns <see cref="ReadStatus.EndOfCapture"/>: when no packet
/// arrived within <see cref="LiveCaptureOptions.ReadTimeoutMs"/> it returns
/// <see cref="ReadStatus.Timeout"/>, so the loop can run its timers and check for stop.
/// </summary>
/// <remarks>
/// Thread use: one thread reads; any thread may call <see cref="Interrupt"/>. Dispose from the
/// reading thread, or after the reading thread has left <see cref="ReadNext"/>. The handle is put
/// in non-blocking mode and waited on with <c>poll()</c>, because libpcap's own read timeout never
/// fires on an idle Linux TPACKET_V3 ring.
/// </remarks>
public sealed class LiveCaptureSource : IPacketSource
{
    private readonly LibPcapLiveDevice _device;
    private readonly NativePacketReader _reader;
    private readonly int _readTimeoutMs;
    private readonly int _pcapFd;
    private int _wakeFd;
    private bool _failed;
    private string? _lastError;

    private LiveCaptureSource(LibPcapLiveDevice device, TimestampResolution resolution, int readTimeoutMs, int pcapFd, int wakeFd)
    {
        _device = device;
        _reader = new NativePacketReader(device, resolution);
        _readTimeoutMs = readTimeoutMs;
        _pcapFd = pcapFd;
        _wakeFd = wakeFd;
        Name = device.Name;
        LinkType = (int)device.LinkType;
    }

    public string Name { get; }

    public int LinkType { get; }

    public long PacketsRead => _reader.Count;

    public string? LastError => _lastError;

    /// <summary>
    /// Opens and activates the interface. Throws <see cref="CaptureException"/> with one line naming
    /// the interface when the filter is invalid, the interface doesn't exist, permission is missing
    /// (needs root or CAP_NET_RAW) or libpcap refuses an option.
    /// </summary>
    public static LiveCaptureSource Open(LiveCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string name = options.Interface;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new CaptureException("no capture interface given");
        }

        NativePacketReader.EnsurePlatformSupported(name);
        if (NativeMethods.MissingReason is { } missing)
        {
            throw new CaptureException(name + ": " + missing);
        }

        ValidateOptions(options);

        LibPcapLiveDevice device = FindDevice(name);
        try
        {
            DeviceConfiguration configuration = new()
            {
                Snaplen = options.Snaplen,
                Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                ReadTimeout = options.ReadTimeoutMs,
                BufferSize = options.BufferSize,
                Immediate = options.Immediate ? true : null,
            };
            device.Open(configuration);
            if (!string.IsNullOrWhiteSpace(options.Filter))
            {
                device.Filter = options.Filter;
            }

            // libpcap's own read timeout does not fire on an idle Linux TPACKET_V3 ring (the kernel
            // retires only blocks that hold packets), so pcap_next_ex could block for ever. Read
            // non-blocking and wait in our own poll() with the timeout and a wake-up eventfd instead.
            device.NonBlockingMode = true;
            int pcapFd = NativeMethods.GetSelectableFd(device.Handle);
            if (pcapFd < 0)
            {
                throw new CaptureException(name + ": libpcap gives no selectable file descriptor for this interface");
            }

            int wakeFd = NativeMethods.CreateEventFd();
            if (wakeFd < 0)
            {
                throw new CaptureException(name + ": eventfd() failed");
            }

            return new LiveCaptureSource(device, device.TimestampResolution, options.ReadTimeoutMs, pcapFd, wakeFd);
        }
        catch (CaptureException)
        {
            device.Dispose();
            throw;
        }
        catch (PcapException e)
        {
            string detail = DescribeOpenError(device, e);
            device.Dispose();
            throw new CaptureException(name + ": " + detail, e);
        }
        catch (PlatformNotSupportedException e)
        {
            device.Dispose();
            throw new CaptureException(name + ": an option is not supported by this libpcap (" + CaptureErrors.OneLine(e.Message) + ")", e);
        }
    }

    /// <summary>
    /// Compiles <paramref name="filter"/> without a device (for an Ethernet link) to check its syntax.
    /// On failure <paramref name="error"/> holds libpcap's message, e.g. "can't parse filter
    /// expression: syntax error".
    /// </summary>
    public static bool TryValidateFilter(string filter, out string? error)
    {
        ArgumentNullException.ThrowIfNull(filter);
        try
        {
            if (PcapDevice.CheckFilter(filter, out string? message))
            {
                error = null;
                return true;
            }

            error = CaptureErrors.OneLine(message);
            return false;
        }
        catch (DllNotFoundException)
        {
            error = CaptureErrors.LibpcapMissing;
            return false;
        }
    }

    /// <inheritdoc/>
    public ReadStatus ReadNext(out RawPacket packet)
    {
        if (_failed)
        {
            packet = default;
            return ReadStatus.Error;
        }

        ObjectDisposedException.ThrowIf(!_device.Opened, this);
        int result = _reader.Next(out packet);
        if (result == 0)
        {
            // Nothing buffered: wait for the socket, the read timeout, or Interrupt().
            NativeMethods.PollFd capture = new() { Fd = _pcapFd, Events = NativeMethods.PollIn | NativeMethods.PollPri };
            NativeMethods.PollFd wake = new() { Fd = _wakeFd, Events = NativeMethods.PollIn };
            int ready = NativeMethods.Poll(ref capture, ref wake, _readTimeoutMs);
            if (wake.Revents != 0)
            {
                NativeMethods.DrainEventFd(_wakeFd);
                return ReadStatus.Timeout;
            }

            if (ready <= 0 || capture.Revents == 0)
            {
                return ReadStatus.Timeout; // timed out, or EINTR
            }

            result = _reader.Next(out packet);
        }

        switch (result)
        {
            case 1:
                return ReadStatus.Packet;
            case 0: // readable but no whole packet yet
            case -2: // pcap_breakloop
                return ReadStatus.Timeout;
            default:
                string message = _device.LastError;
                _lastError = string.IsNullOrWhiteSpace(message) ? "pcap_next_ex failed (" + result + ")" : CaptureErrors.OneLine(message);
                _failed = true;
                return ReadStatus.Error;
        }
    }

    /// <summary>
    /// Wakes a <see cref="ReadNext"/> waiting in another thread (or, if none waits, the next one that
    /// would wait) so that it returns <see cref="ReadStatus.Timeout"/> at once. Without it a read
    /// returns within the read timeout anyway. Safe to call from any thread until disposal.
    /// </summary>
    public void Interrupt()
    {
        int fd = Volatile.Read(ref _wakeFd);
        if (fd >= 0)
        {
            NativeMethods.SignalEventFd(fd);
        }
    }

    /// <summary>
    /// Polls <c>pcap_stats</c> (a system call; call it about once a second, not per packet). Null if
    /// the source is closed or libpcap fails.
    /// </summary>
    public CaptureStatistics? GetStatistics()
    {
        if (!_device.Opened)
        {
            return null;
        }

        return NativeMethods.GetStats(_device.Handle, out uint received, out uint dropped, out uint interfaceDropped)
            ? new CaptureStatistics(received, dropped, interfaceDropped)
            : null;
    }

    public void Dispose()
    {
        _device.Dispose();
        int fd = Interlocked.Exchange(ref _wakeFd, -1);
        if (fd >= 0)
        {
            NativeMethods.Close(fd);
        }
    }

    private static void ValidateOptions(LiveCaptureOptions options)
    {
        string name = options.Interface;
        if (options.Snaplen <= 0)
        {
            throw new CaptureException(name + ": snaplen must be positive (got " + options.Snaplen + ")");
        }

        if (options.ReadTimeoutMs <= 0)
        {
            throw new CaptureException(name + ": read timeout must be positive (got " + options.ReadTimeoutMs + " ms)");
        }

        if (options.BufferSize is <= 0)
        {
            throw new CaptureException(name + ": buffer size must be positive (got " + options.BufferSize + ")");
        }

        if (!string.IsNullOrWhiteSpace(options.Filter) && !TryValidateFilter(options.Filter, out string? error))
        {
            throw new CaptureException(name + ": bad capture filter \"" + options.Filter + "\": " + error);
        }
    }

    private static LibPcapLiveDevice FindDevice(string name)
    {
        try
        {
            foreach (LibPcapLiveDevice device in LibPcapLiveDeviceList.New())
            {
                if (string.Equals(device.Name, name, StringComparison.Ordinal))
                {
                    return device;
                }
            }
        }
        catch (DllNotFoundException e)
        {
            throw new CaptureException(name + ": " + CaptureErrors.LibpcapMissing, e);
        }
        catch (PcapException e)
        {
            throw new CaptureException(name + ": cannot list capture interfaces: " + CaptureErrors.OneLine(e.Message), e);
        }

        throw new CaptureException(name + ": no such capture interface");
    }

    private static string DescribeOpenError(LibPcapLiveDevice device, PcapException e)
    {
        string? libpcap = null;
        try
        {
            if (device.Opened)
            {
                libpcap = device.LastError;
            }
        }
        catch (PcapException)
        {
        }

        string reason = e.Error switch
        {
            PcapError.NoSuchDevice => "no such capture interface",
            PcapError.PermissionDenied => "permission denied (capture needs root or CAP_NET_RAW)",
            PcapError.PromiscuousPermissionDenied => "permission denied for promiscuous mode",
            PcapError.InterfaceNotUp => "the interface is not up",
            _ => CaptureErrors.OneLine(e.Message),
        };
        return string.IsNullOrWhiteSpace(libpcap) || reason.Contains(libpcap.Trim(), StringComparison.Ordinal)
            ? reason
            : reason + " (" + CaptureErrors.OneLine(libpcap) + ")";
    }
}
