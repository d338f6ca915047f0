using System.Runtime.InteropServices;

namespace TrafficSentinel.Capture;

/// <summary>
/// The libpcap functions SharpPcap does not expose publicly. Resolved from the same shared library
/// SharpPcap loads (the dynamic loader hands back the already-loaded copy), called through function
/// pointers so that no import resolver has to be registered for this assembly.
/// </summary>
internal static unsafe class LibPcapNative
{
    // The names SharpPcap's resolver tries on Linux; Debian's libpcap0.8 provides libpcap.so.0.8.
    private static readonly string[] s_libraryNames = ["libpcap.so", "libpcap.so.0.8", "libpcap.so.1", "libpcap.so.0"];

    private static readonly delegate* unmanaged<IntPtr, void> s_breakloop = ResolveBreakloop();

    public static bool CanBreakLoop => s_breakloop != null;

    /// <summary><c>pcap_breakloop</c>: makes a blocked or the next <c>pcap_next_ex</c> return -2.</summary>
    public static void BreakLoop(SafeHandle pcap)
    {
        if (s_breakloop == null)
        {
            return;
        }

        bool added = false;
        try
        {
            pcap.DangerousAddRef(ref added);
            s_breakloop(pcap.DangerousGetHandle());
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: nothing left to wake.
        }
        finally
        {
            if (added)
            {
                pcap.DangerousRelease();
            }
        }
    }

    private static delegate* unmanaged<IntPtr, void> ResolveBreakloop()
    {
        foreach (string name in s_libraryNames)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr library) && NativeLibrary.TryGetExport(library, "pcap_breakloop", out IntPtr function))
            {
                return (delegate* unmanaged<IntPtr, void>)function;
            }
        }

        return null;
    }
}
