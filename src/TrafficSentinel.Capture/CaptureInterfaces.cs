using System.Net;
using System.Net.Sockets;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSentinel.Capture;

/// <summary>One capture interface as <c>pcap_findalldevs</c> reports it.</summary>
/// <param name="Name">The name to pass to <see cref="LiveCaptureOptions.Interface"/>.</param>
/// <param name="Description">libpcap's description, often null on Linux.</param>
/// <param name="Addresses">IPv4 and IPv6 addresses assigned to it.</param>
/// <param name="IsLoopback">PCAP_IF_LOOPBACK.</param>
/// <param name="IsUp">PCAP_IF_UP.</param>
/// <param name="IsRunning">PCAP_IF_RUNNING (up and the link is operational).</param>
public sealed record CaptureInterface(
    string Name,
    string? Description,
    IReadOnlyList<IPAddress> Addresses,
    bool IsLoopback,
    bool IsUp,
    bool IsRunning);

/// <summary>Lists capture interfaces for <c>sentinel interfaces</c>.</summary>
public static class CaptureInterfaces
{
    private const uint PcapIfLoopback = 0x1;
    private const uint PcapIfUp = 0x2;
    private const uint PcapIfRunning = 0x4;

    /// <summary>Every interface libpcap can open, in libpcap's order. Throws <see cref="CaptureException"/> (one line) on failure.</summary>
    public static IReadOnlyList<CaptureInterface> List()
    {
        IReadOnlyList<PcapInterface> all;
        try
        {
            all = PcapInterface.GetAllPcapInterfaces();
        }
        catch (DllNotFoundException e)
        {
            throw new CaptureException("cannot list capture interfaces: " + CaptureErrors.LibpcapMissing, e);
        }
        catch (PcapException e)
        {
            throw new CaptureException("cannot list capture interfaces: " + CaptureErrors.OneLine(e.Message), e);
        }

        List<CaptureInterface> result = new(all.Count);
        foreach (PcapInterface pcapInterface in all)
        {
            List<IPAddress> addresses = [];
            foreach (PcapAddress address in pcapInterface.Addresses)
            {
                IPAddress? ip = address.Addr?.ipAddress;
                if (ip is { AddressFamily: AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 })
                {
                    addresses.Add(ip);
                }
            }

            uint flags = pcapInterface.Flags;
            result.Add(new CaptureInterface(
                pcapInterface.Name,
                string.IsNullOrWhiteSpace(pcapInterface.Description) ? null : pcapInterface.Description,
                addresses,
                (flags & PcapIfLoopback) != 0,
                (flags & PcapIfUp) != 0,
                (flags & PcapIfRunning) != 0));
        }

        return result;
    }
}
