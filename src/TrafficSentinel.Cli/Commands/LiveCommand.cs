using System.Runtime.InteropServices;
using TrafficSentinel.Capture;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Commands;

/// <summary>Options of <c>sentinel live</c> beyond the shared ones.</summary>
internal sealed record LiveSettings
{
    public required LiveCaptureOptions Capture { get; init; }

    /// <summary>Stop after this many seconds (0: run until SIGINT/SIGTERM).</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Stop after this many packets (0: no limit).</summary>
    public long PacketLimit { get; init; }

    /// <summary>Print a statistics line to stderr this often (0: never).</summary>
    public double StatsIntervalSeconds { get; init; }
}

/// <summary>
/// <c>sentinel live -i IFACE</c>: capture from an interface until stopped. A read timeout means "no
/// packet yet": packet time moves on with the wall clock, so idle flows still expire. SIGINT and
/// SIGTERM stop it cleanly: flows end, sinks flush, and the summary shows the kernel's counters.
/// </summary>
internal static class LiveCommand
{
    public static int Run(LiveSettings live, SensorSettings settings, CliConsole console, DetectorSet detectors, CancellationToken externalStop = default)
    {
        LiveCaptureSource source;
        try
        {
            source = LiveCaptureSource.Open(live.Capture);
        }
        catch (CaptureException e)
        {
            console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.CannotStart;
        }

        using (source)
        using (var run = new SensorRun(settings, console, detectors))
        {
            run.SourcesTotal = 1;
            SensorEngine engine = run.Engine;
            engine.SetLinkType(source.LinkType);
            if (!LinkType.IsSupported(source.LinkType))
            {
                console.Error.WriteLine("warning: " + live.Capture.Interface + ": " + LinkType.Describe(source.LinkType) + " is not supported; its packets are counted as skipped");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(externalStop);
            using CancellationTokenRegistration onStop = stop.Token.Register(source.Interrupt);
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

            console.Error.WriteLine("capturing on " + source.Name + " (" + LinkType.Describe(source.LinkType) + ")"
                + (live.Capture.Filter is { Length: > 0 } f ? ", filter \"" + f + "\"" : string.Empty) + "; Ctrl-C stops");
            long started = Environment.TickCount64;
            long deadline = live.DurationSeconds > 0 ? started + (long)(live.DurationSeconds * 1000) : long.MaxValue;
            long statsEvery = (long)(live.StatsIntervalSeconds * 1000);
            long nextStats = statsEvery > 0 ? started + statsEvery : long.MaxValue;
            int exitCode = ExitCodes.Ok;
            while (!stop.IsCancellationRequested)
            {
                ReadStatus status = source.ReadNext(out RawPacket packet);
                if (status == ReadStatus.Packet)
                {
                    engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number);
                    if (live.PacketLimit > 0 && packet.Number >= live.PacketLimit)
                    {
                        break;
                    }
                }
                else if (status == ReadStatus.Timeout)
                {
                    // No packet yet: let packet time follow the wall clock so timeouts still fire.
                    engine.AdvanceTime(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
                }
                else if (status == ReadStatus.Error)
                {
                    if (!stop.IsCancellationRequested)
                    {
                        run.Fail(CaptureErrors.Describe(source));
                        exitCode = ExitCodes.InputFailed;
                    }

                    break;
                }
                else
                {
                    break;
                }

                long now = Environment.TickCount64;
                if (now >= deadline)
                {
                    break;
                }

                if (now >= nextStats)
                {
                    nextStats = now + statsEvery;
                    PrintStats(console.Error, engine, source.GetStatistics());
                }
            }

            run.KernelStatistics = source.GetStatistics();
            run.Complete();
            run.PrintSummary();
            return exitCode;

            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        }
    }

    private static void PrintStats(TextWriter error, SensorEngine engine, CaptureStatistics? kernel)
    {
        string line = "stats: " + SensorRun.N(engine.Counters.Packets) + " packets, " + SensorRun.N(engine.Flows.Count) + " active flows, "
            + SensorRun.N(engine.Counters.Detections) + " detections";
        if (kernel is { } k)
        {
            line += ", kernel " + SensorRun.N(k.Received) + " received / " + SensorRun.N(k.Dropped) + " dropped";
        }

        error.WriteLine(line);
    }
}
