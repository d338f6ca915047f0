using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace TrafficSentinel.TestSupport;

/// <summary>
/// A veth link between the test's own (root) network namespace and a fresh namespace, for live
/// capture tests. <see cref="HostInterface"/> stays in the root namespace with
/// <see cref="HostAddress"/> (so the test process can open it with libpcap); its peer lives in
/// <see cref="NamespaceName"/> with <see cref="PeerAddress"/>. Both addresses come from a /30 in
/// 10.213.0.0/16; nothing is routed anywhere else. Send traffic from the namespace with
/// <see cref="Exec"/>, e.g. <c>bash -c 'echo -n hi &gt; /dev/udp/HOST/PORT'</c>.
/// </summary>
/// <remarks>
/// Names are unique per process and instance (<c>ts-PID-N</c>, <c>tshPID-N</c>, <c>tspPID-N</c>), so
/// parallel tests and parallel test runs don't collide. <see cref="Dispose"/> deletes the link and
/// the namespace; a failed <see cref="Create"/> cleans up what it made. IPv6 is switched off on
/// both ends so that the link carries only what the test sends (plus ARP).
/// </remarks>
public sealed class VethPair : IDisposable
{
    private static readonly Lazy<string?> s_ipPath = new(() => FindOnPath("ip"));
    private static int s_counter;
    private bool _disposed;

    private VethPair(string namespaceName, string hostInterface, string peerInterface, IPAddress hostAddress, IPAddress peerAddress)
    {
        NamespaceName = namespaceName;
        HostInterface = hostInterface;
        PeerInterface = peerInterface;
        HostAddress = hostAddress;
        PeerAddress = peerAddress;
    }

    /// <summary>The namespace holding the peer end.</summary>
    public string NamespaceName { get; }

    /// <summary>The end in the root namespace: capture here.</summary>
    public string HostInterface { get; }

    /// <summary>The end inside <see cref="NamespaceName"/>.</summary>
    public string PeerInterface { get; }

    /// <summary>The address of <see cref="HostInterface"/> (x.x.x.1/30).</summary>
    public IPAddress HostAddress { get; }

    /// <summary>The address of <see cref="PeerInterface"/> (x.x.x.2/30).</summary>
    public IPAddress PeerAddress { get; }

    /// <summary>True when the <c>ip</c> command (iproute2) is on the PATH.</summary>
    public static bool IpCommandAvailable => s_ipPath.Value is not null;

    /// <summary>
    /// Creates the namespace and the link, both ends up. Skips the test (fails it under CI=true)
    /// unless it runs as root with <c>ip</c> available; throws when a step fails.
    /// </summary>
    public static VethPair Create()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.Require(IpCommandAvailable, "the `ip` command (iproute2) is needed for network namespaces");

        int n = Interlocked.Increment(ref s_counter);
        int pid = Environment.ProcessId;
        string suffix = pid.ToString(CultureInfo.InvariantCulture) + "-" + n.ToString(CultureInfo.InvariantCulture);
        int subnet = PickSubnet(pid, n);
        VethPair pair = new(
            "ts-" + suffix,
            "tsh" + suffix,
            "tsp" + suffix,
            IPAddress.Parse("10.213." + subnet.ToString(CultureInfo.InvariantCulture) + ".1"),
            IPAddress.Parse("10.213." + subnet.ToString(CultureInfo.InvariantCulture) + ".2"));
        try
        {
            pair.Setup();
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> with <c>sh -c</c> inside the namespace and returns its
    /// standard output; throws when it fails or takes longer than <paramref name="timeout"/>
    /// (default 30 s).
    /// </summary>
    public string Exec(string command, TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run(timeout ?? TimeSpan.FromSeconds(30), "ip", "netns", "exec", NamespaceName, "sh", "-c", command);
    }

    /// <summary>
    /// Sends one UDP datagram from the namespace to <see cref="HostAddress"/>:<paramref name="port"/>
    /// holding <paramref name="payloadLength"/> bytes 'x' (bash's /dev/udp, no other tool needed).
    /// </summary>
    public void SendUdpToHost(int port, int payloadLength)
    {
        string payload = new('x', payloadLength);
        Exec("exec bash -c 'printf %s " + payload + " > /dev/udp/" + HostAddress + "/" + port.ToString(CultureInfo.InvariantCulture) + "'");
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Deleting one end of a veth deletes the other; deleting the namespace would too.
        TryRun("ip", "link", "del", HostInterface);
        TryRun("ip", "netns", "del", NamespaceName);
    }

    public override string ToString() => HostInterface + " " + HostAddress + " <-> " + NamespaceName + ":" + PeerInterface + " " + PeerAddress;

    private void Setup()
    {
        TimeSpan t = TimeSpan.FromSeconds(30);
        Run(t, "ip", "netns", "add", NamespaceName);
        Run(t, "ip", "link", "add", HostInterface, "type", "veth", "peer", "name", PeerInterface);
        Run(t, "ip", "link", "set", PeerInterface, "netns", NamespaceName);
        DisableIpv6("/proc/sys/net/ipv6/conf/" + HostInterface + "/disable_ipv6");
        Run(t, "ip", "addr", "add", HostAddress + "/30", "dev", HostInterface);
        Run(t, "ip", "link", "set", HostInterface, "up");
        TryRun("ip", "netns", "exec", NamespaceName, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6");
        Run(t, "ip", "netns", "exec", NamespaceName, "ip", "addr", "add", PeerAddress + "/30", "dev", PeerInterface);
        Run(t, "ip", "netns", "exec", NamespaceName, "ip", "link", "set", "lo", "up");
        Run(t, "ip", "netns", "exec", NamespaceName, "ip", "link", "set", PeerInterface, "up");
        WaitForCarrier();
    }

    private void WaitForCarrier()
    {
        string carrierFile = "/sys/class/net/" + HostInterface + "/carrier";
        Stopwatch watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                if (File.ReadAllText(carrierFile).Trim() == "1")
                {
                    return;
                }
            }
            catch (IOException)
            {
            }

            Thread.Sleep(50);
        }

        throw new InvalidOperationException(HostInterface + ": link did not come up within 10 s");
    }

    private static void DisableIpv6(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.WriteAllText(path, "1");
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int PickSubnet(int pid, int n)
    {
        string used = TryRun("ip", "-o", "-4", "addr", "show") ?? string.Empty;
        int start = ((pid * 31) + n) & 0xFF;
        for (int i = 0; i < 256; i++)
        {
            int candidate = (start + i) & 0xFF;
            if (!used.Contains("10.213." + candidate.ToString(CultureInfo.InvariantCulture) + ".", StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no free /30 left in 10.213.0.0/16");
    }

    private static string? TryRun(params string[] command)
    {
        try
        {
            return Run(TimeSpan.FromSeconds(30), command);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Run(TimeSpan timeout, params string[] command)
    {
        string program = command[0] == "ip" && s_ipPath.Value is { } ip ? ip : command[0];
        ProcessStartInfo start = new(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        for (int i = 1; i < command.Length; i++)
        {
            start.ArgumentList.Add(command[i]);
        }

        string line = string.Join(' ', command);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start: " + line);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("timed out after " + timeout.TotalSeconds + " s: " + line);
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("`" + line + "` exited with " + process.ExitCode + ": " + stderr.Result.Trim());
        }

        return stdout.Result;
    }

    private static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
