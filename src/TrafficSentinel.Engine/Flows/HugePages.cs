using System.Runtime.InteropServices;

namespace TrafficSentinel.Engine.Flows;

/// <summary>
/// Asks Linux to back a large, randomly accessed array with transparent huge pages
/// (<c>madvise(MADV_HUGEPAGE)</c>), for systems whose THP mode is <c>madvise</c> (Debian's default).
/// A flow table is looked up at random across all its memory: with 4 KiB pages every lookup of a cold
/// flow is also a TLB miss, and filling the table costs one page fault per 4 KiB. Advice only: where
/// it is refused or not Linux, nothing changes.
/// </summary>
internal static partial class HugePages
{
    private const int MadvHugePage = 14;
    private const long HugePageSize = 2 << 20;

    /// <summary>Advises the 2 MiB-aligned part of a pinned array; arrays under 4 MiB are left alone.</summary>
    public static bool Advise<T>(T[] pinnedArray)
        where T : unmanaged
    {
        long bytes = (long)pinnedArray.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (!OperatingSystem.IsLinux() || bytes < 2 * HugePageSize)
        {
            return false;
        }

        long start = Marshal.UnsafeAddrOfPinnedArrayElement(pinnedArray, 0);
        long alignedStart = (start + HugePageSize - 1) & ~(HugePageSize - 1);
        long alignedEnd = (start + bytes) & ~(HugePageSize - 1);
        if (alignedEnd <= alignedStart)
        {
            return false;
        }

        try
        {
            return Madvise((nint)alignedStart, (nuint)(alignedEnd - alignedStart), MadvHugePage) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
