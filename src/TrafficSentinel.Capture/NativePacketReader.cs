using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSentinel.Capture;

/// <summary>
/// The one unsafe, platform-specific piece: reads packets with <c>pcap_next_ex</c> through
/// SharpPcap's <see cref="PcapDevice.GetNextPacketPointers"/> and decodes the native
/// <c>pcap_pkthdr</c> itself, because SharpPcap's <c>GetNextPacket</c> allocates a header and a
/// timestamp object (64 B) per packet. Checked against <c>GetNextPacket</c> by the tests.
/// </summary>
/// <remarks>
/// Layout on 64-bit Linux (LP64, x64 and arm64 alike): <c>struct timeval</c> is two 8-byte longs
/// (seconds, then micro- or nanoseconds depending on the handle's precision), then
/// <c>bpf_u_int32 caplen</c> at offset 16 and <c>bpf_u_int32 len</c> at offset 20. Other platforms
/// differ (32-bit timevals on Windows and 32-bit Linux, a 4-byte tv_usec on macOS) and are refused.
/// </remarks>
internal sealed unsafe class NativePacketReader
{
    private readonly PcapDevice _device;
    private readonly bool _nanoseconds;
    private long _count;

    public NativePacketReader(PcapDevice device, TimestampResolution resolution)
    {
        _device = device;
        _nanoseconds = resolution == TimestampResolution.Nanosecond;
    }

    /// <summary>Null where the header layout is known; otherwise why this platform is refused.</summary>
    public static string? UnsupportedPlatformReason { get; } = FindUnsupportedPlatformReason();

    public long Count => _count;

    /// <summary>Throws a one-line <see cref="CaptureException"/> on a platform we can't read on.</summary>
    public static void EnsurePlatformSupported(string name)
    {
        if (UnsupportedPlatformReason is { } reason)
        {
            throw new CaptureException(name + ": " + reason);
        }
    }

    /// <summary>
    /// Calls <c>pcap_next_ex</c>. Returns its result: 1 packet (then <paramref name="packet"/> is
    /// set), 0 live read timeout, -1 error, -2 end of file or <c>pcap_breakloop</c>.
    /// </summary>
    public int Next(out RawPacket packet)
    {
        IntPtr header = IntPtr.Zero;
        IntPtr data = IntPtr.Zero;
        int result = _device.GetNextPacketPointers(ref header, ref data);
        if (result != 1 || header == IntPtr.Zero)
        {
            packet = default;
            return result == 1 ? -1 : result;
        }

        PcapPacketHeaderLp64* h = (PcapPacketHeaderLp64*)header;
        long fraction = _nanoseconds ? h->Fraction / 1000 : h->Fraction;
        long micros = (h->Seconds * 1_000_000) + fraction;
        uint captureLength = h->CaptureLength;
        uint wireLength = h->WireLength;
        if (captureLength > int.MaxValue || (captureLength != 0 && data == IntPtr.Zero))
        {
            packet = default;
            return -1;
        }

        _count++;
        packet = new RawPacket(
            new ReadOnlySpan<byte>((void*)data, (int)captureLength),
            micros,
            wireLength > int.MaxValue ? int.MaxValue : (int)wireLength,
            _count);
        return 1;
    }

    private static string? FindUnsupportedPlatformReason()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return "unsupported platform " + RuntimeInformation.OSDescription + " (" + RuntimeInformation.ProcessArchitecture
                + "): TrafficSentinel reads libpcap's packet headers in the 64-bit Linux layout only";
        }

        return sizeof(PcapPacketHeaderLp64) == 24 ? null : "unexpected pcap_pkthdr size";
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PcapPacketHeaderLp64
    {
        public long Seconds;
        public long Fraction;
        public uint CaptureLength;
        public uint WireLength;
    }
}
