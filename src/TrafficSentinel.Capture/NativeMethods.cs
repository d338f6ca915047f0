using System.Runtime.InteropServices;

namespace TrafficSentinel.Capture;

/// <summary>
/// The few native calls SharpPcap does not expose: <c>pcap_get_selectable_fd</c> from libpcap (the
/// same shared library SharpPcap loaded; the dynamic loader hands back the loaded copy) and
/// <c>poll</c>/<c>eventfd</c>/<c>read</c>/<c>write</c>/<c>close</c> from glibc. Resolved once and
/// called through function pointers, so no import resolver is registered and nothing allocates.
/// Linux only, like <see cref="NativePacketReader"/>.
/// </summary>
internal static unsafe class NativeMethods
{
    public const short PollIn = 0x001;
    public const short PollPri = 0x002;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;

    // O_NONBLOCK and O_CLOEXEC on Linux x64 and arm64.
    private const int EventFdNonBlock = 0x800;
    private const int EventFdCloseOnExec = 0x80000;

    // The names SharpPcap's resolver tries on Linux; Debian's libpcap0.8 provides libpcap.so.0.8.
    private static readonly string[] s_pcapNames = ["libpcap.so", "libpcap.so.0.8", "libpcap.so.1", "libpcap.so.0"];
    private static readonly string[] s_libcNames = ["libc.so.6", "libc"];

    private static readonly IntPtr s_pcap = Load(s_pcapNames);
    private static readonly IntPtr s_libc = Load(s_libcNames);
    private static readonly delegate* unmanaged<IntPtr, int> s_pcapGetSelectableFd = (delegate* unmanaged<IntPtr, int>)Export(s_pcap, "pcap_get_selectable_fd");
    private static readonly delegate* unmanaged<IntPtr, uint*, int> s_pcapStats = (delegate* unmanaged<IntPtr, uint*, int>)Export(s_pcap, "pcap_stats");
    private static readonly delegate* unmanaged<PollFd*, ulong, int, int> s_poll = (delegate* unmanaged<PollFd*, ulong, int, int>)Export(s_libc, "poll");
    private static readonly delegate* unmanaged<uint, int, int> s_eventfd = (delegate* unmanaged<uint, int, int>)Export(s_libc, "eventfd");
    private static readonly delegate* unmanaged<int, void*, nuint, nint> s_read = (delegate* unmanaged<int, void*, nuint, nint>)Export(s_libc, "read");
    private static readonly delegate* unmanaged<int, void*, nuint, nint> s_write = (delegate* unmanaged<int, void*, nuint, nint>)Export(s_libc, "write");
    private static readonly delegate* unmanaged<int, int> s_close = (delegate* unmanaged<int, int>)Export(s_libc, "close");
    private static readonly delegate* unmanaged<IntPtr, IntPtr> s_pcapFile = (delegate* unmanaged<IntPtr, IntPtr>)Export(s_pcap, "pcap_file");
    private static readonly delegate* unmanaged<IntPtr, int> s_fileno = (delegate* unmanaged<IntPtr, int>)Export(s_libc, "fileno");
    private static readonly delegate* unmanaged<int, long, int, long> s_lseek = (delegate* unmanaged<int, long, int, long>)Export(s_libc, "lseek");
    private static readonly delegate* unmanaged<IntPtr, void*, int, nuint, int> s_setvbuf = (delegate* unmanaged<IntPtr, void*, int, nuint, int>)Export(s_libc, "setvbuf");

    /// <summary>Null when every function was found; otherwise what is missing.</summary>
    public static string? MissingReason =>
        s_pcapGetSelectableFd == null || s_pcapStats == null ? "pcap_get_selectable_fd or pcap_stats not found in libpcap"
        : s_poll == null || s_eventfd == null || s_read == null || s_write == null || s_close == null ? "poll/eventfd not found in the C library"
        : null;

    /// <summary><c>pcap_get_selectable_fd</c>; -1 when the handle has none.</summary>
    public static int GetSelectableFd(SafeHandle pcap)
    {
        using var handle = new HandleLease(pcap);
        return s_pcapGetSelectableFd(handle.Value);
    }

    /// <summary>
    /// <c>pcap_stats</c>. On Linux <c>struct pcap_stat</c> is three 32-bit counters (received,
    /// dropped, dropped by the interface); SharpPcap 6.3.1 reads it with 64-bit fields, which turns
    /// its DroppedPackets into ps_ifdrop, so we read it ourselves. False when libpcap fails.
    /// </summary>
    public static bool GetStats(SafeHandle pcap, out uint received, out uint dropped, out uint interfaceDropped)
    {
        // Room to spare in case a libpcap build appends fields (Windows builds do).
        uint* stat = stackalloc uint[8];
        using var handle = new HandleLease(pcap);
        if (s_pcapStats(handle.Value, stat) == 0)
        {
            received = stat[0];
            dropped = stat[1];
            interfaceDropped = stat[2];
            return true;
        }

        received = dropped = interfaceDropped = 0;
        return false;
    }

    /// <summary><c>poll(2)</c> over two descriptors; returns poll's result (-1 with errno on failure, e.g. EINTR).</summary>
    public static int Poll(ref PollFd first, ref PollFd second, int timeoutMs)
    {
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = first;
        fds[1] = second;
        int result = s_poll(fds, 2, timeoutMs);
        first = fds[0];
        second = fds[1];
        return result;
    }

    /// <summary>A non-blocking, close-on-exec <c>eventfd</c>, or -1.</summary>
    public static int CreateEventFd() => s_eventfd(0, EventFdNonBlock | EventFdCloseOnExec);

    /// <summary>Adds one to an eventfd's counter, making it readable.</summary>
    public static void SignalEventFd(int fd)
    {
        ulong one = 1;
        s_write(fd, &one, sizeof(ulong));
    }

    /// <summary>Resets an eventfd's counter (non-blocking read).</summary>
    public static void DrainEventFd(int fd)
    {
        ulong value;
        s_read(fd, &value, sizeof(ulong));
    }

    public static void Close(int fd) => s_close(fd);

    /// <summary>
    /// Gives the <c>FILE</c> an offline handle reads through (<c>pcap_file</c>) the buffer
    /// <paramref name="buffer"/> of <paramref name="size"/> bytes, which must outlive the handle. True
    /// when done; false, changing nothing, when a function is missing, the handle has no file or the
    /// file can't seek. libpcap reads a file a record at a time with <c>fread</c>, and the C library's
    /// default buffer is one 4 KiB block, so a 1 GB file costs 250,000 <c>read</c> calls; with 1 MiB it
    /// costs 1,000. The handle has already read the file header through the old buffer: glibc's
    /// <c>setvbuf</c> first syncs the stream, seeking the descriptor back to the stream's logical
    /// position, so nothing read ahead is lost. That seek is why the file must be seekable (a pipe
    /// would silently drop the read-ahead bytes).
    /// </summary>
    public static bool SetFileBuffer(SafeHandle pcap, void* buffer, nuint size)
    {
        if (s_pcapFile == null || s_fileno == null || s_lseek == null || s_setvbuf == null)
        {
            return false;
        }

        const int SeekCurrent = 1;
        const int FullyBuffered = 0; // _IOFBF
        using var handle = new HandleLease(pcap);
        IntPtr file = s_pcapFile(handle.Value);
        return file != IntPtr.Zero
            && s_fileno(file) is int fd and >= 0
            && s_lseek(fd, 0, SeekCurrent) >= 0
            && s_setvbuf(file, buffer, FullyBuffered, size) == 0;
    }

    private static IntPtr Load(string[] names)
    {
        if (!OperatingSystem.IsLinux())
        {
            return IntPtr.Zero;
        }

        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr library))
            {
                return library;
            }
        }

        return IntPtr.Zero;
    }

    private static IntPtr Export(IntPtr library, string name) =>
        library != IntPtr.Zero && NativeLibrary.TryGetExport(library, name, out IntPtr function) ? function : IntPtr.Zero;

    /// <summary>
    /// The raw pcap handle for one native call: holds a reference on the <see cref="SafeHandle"/>, so
    /// a concurrent close cannot free it mid-call, and releases it when disposed.
    /// </summary>
    private readonly ref struct HandleLease
    {
        private readonly SafeHandle _handle;
        private readonly bool _added;

        public HandleLease(SafeHandle handle)
        {
            _handle = handle;
            handle.DangerousAddRef(ref _added);
            Value = handle.DangerousGetHandle();
        }

        public IntPtr Value { get; }

        public void Dispose()
        {
            if (_added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
