using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSentinel.Capture;

/// <summary>
/// Reads a pcap (micro- or nanosecond) or pcapng file through libpcap. Timestamps are requested at
/// nanosecond precision so that both kinds of file convert exactly to microseconds.
/// </summary>
/// <remarks>
/// libpcap's pcapng reader stops with an error when a later interface block has a different link
/// type or snapshot length from the first; <see cref="ReadNext"/> then returns
/// <see cref="ReadStatus.Error"/> like for a truncated file, and
/// <see cref="CaptureErrors.Describe(IPacketSource)"/> says so in words.
/// </remarks>
public sealed unsafe class CaptureFileSource : IPacketSource
{
    /// <summary>The C library buffer libpcap reads the file through (see <see cref="NativeMethods.SetFileBuffer"/>).</summary>
    public const int ReadBufferBytes = 1 << 20;

    private readonly CaptureFileReaderDevice _device;
    private void* _readBuffer;
    private readonly NativePacketReader _reader;
    private ReadStatus? _finished;
    private string? _lastError;

    private CaptureFileSource(string path, CaptureFileReaderDevice device, TimestampResolution resolution)
    {
        Name = path;
        _device = device;
        _reader = new NativePacketReader(device, resolution);
        LinkType = (int)device.LinkType;
        _readBuffer = NativeMemory.Alloc(ReadBufferBytes);
        if (!NativeMethods.SetFileBuffer(device.Handle, _readBuffer, ReadBufferBytes))
        {
            NativeMemory.Free(_readBuffer);
            _readBuffer = null;
        }
    }

    public string Name { get; }

    public int LinkType { get; }

    public long PacketsRead => _reader.Count;

    public string? LastError => _lastError;

    /// <summary>Whether libpcap reads this file through the <see cref="ReadBufferBytes"/> buffer (a seekable file) rather than the C library's default.</summary>
    public bool LargeReadBuffer => _readBuffer != null;

    /// <summary>
    /// Opens <paramref name="path"/>. Throws <see cref="CaptureException"/> with a one-line message
    /// naming the file when it is missing, empty, a folder, unreadable or not a capture file.
    /// </summary>
    public static CaptureFileSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        NativePacketReader.EnsurePlatformSupported(path);

        if (Directory.Exists(path))
        {
            throw new CaptureException(path + ": is a folder, not a capture file");
        }

        FileInfo info = new(path);
        if (!info.Exists)
        {
            throw new CaptureException(path + ": no such file");
        }

        if (info.Length == 0)
        {
            throw new CaptureException(path + ": empty file, not a capture file");
        }

        CaptureFileReaderDevice device = new(path);
        try
        {
            DeviceConfiguration configuration = new() { TimestampResolution = TimestampResolution.Nanosecond };

            // libpcap older than 1.5.1 can't scale timestamps; then we read them at its native precision.
            configuration.ConfigurationFailed += IgnoreConfigurationFailure;
            device.Open(configuration);
            return new CaptureFileSource(path, device, device.TimestampResolution);
        }
        catch (PcapException e)
        {
            device.Dispose();
            throw new CaptureException(path + ": " + DescribeOpenError(path, e.Message), e);
        }
        catch (DllNotFoundException e)
        {
            device.Dispose();
            throw new CaptureException(path + ": " + CaptureErrors.LibpcapMissing, e);
        }
    }

    /// <inheritdoc/>
    public ReadStatus ReadNext(out RawPacket packet)
    {
        if (_finished is { } finished)
        {
            packet = default;
            return finished;
        }

        ObjectDisposedException.ThrowIf(!_device.Opened, this);
        int result = _reader.Next(out packet);
        if (result == 1)
        {
            return ReadStatus.Packet;
        }

        if (result == -2)
        {
            _finished = ReadStatus.EndOfCapture;
            return ReadStatus.EndOfCapture;
        }

        return Fail(result);
    }

    /// <summary>Capture files have no kernel counters: always null.</summary>
    public CaptureStatistics? GetStatistics() => null;

    public void Dispose()
    {
        // pcap_close closes the FILE, which must still have its buffer; only then is it freed.
        _device.Dispose();
        if (_readBuffer != null)
        {
            NativeMemory.Free(_readBuffer);
            _readBuffer = null;
        }
    }

    private ReadStatus Fail(int result)
    {
        string message = _device.LastError;
        _lastError = string.IsNullOrWhiteSpace(message) ? "pcap_next_ex failed (" + result + ")" : message.Trim();
        _finished = ReadStatus.Error;
        return ReadStatus.Error;
    }

    private static string DescribeOpenError(string path, string message)
    {
        const string SharpPcapPrefix = "Unable to open offline adapter: ";
        string text = message.StartsWith(SharpPcapPrefix, StringComparison.Ordinal) ? message[SharpPcapPrefix.Length..] : message;
        text = CaptureErrors.OneLine(text);

        // libpcap puts the file name in front of errno messages ("x.pcap: Permission denied").
        if (text.StartsWith(path + ": ", StringComparison.Ordinal))
        {
            text = text[(path.Length + 2)..];
        }

        return text switch
        {
            "unknown file format" => "not a capture file (unknown file format)",
            _ when text.StartsWith("truncated dump file", StringComparison.Ordinal) => "not a capture file or truncated header (" + text + ")",
            _ => text,
        };
    }

    private static void IgnoreConfigurationFailure(object? sender, ConfigurationFailedEventArgs e)
    {
    }
}
