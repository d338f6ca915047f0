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

    /// <summary>Packet threads beside the capture thread (0: decode and detect on the capture thread).</summary>
    public int Threads { get; init; }
}

/// <summary>
/// <c>sentinel live -i IFACE</c>: capture from an interface until stopped. A read timeout means "no
/// packet yet": packet time moves on with the wall clock, so idle flows still expire. SIGINT and
/// SIGTERM stop it cleanly: flows end, sinks flush, and the summary shows the kernel's counters.
/// With <c>--threads N</c> the capture thread only reads and hands packets to N packet threads
/// (<see cref="PacketWorkers"/>), flows split among them by a symmetric hash.
/// </summary>
internal static class LiveCommand
{
    /// <summary>Longest a packet waits in a worker's ring for its batch to fill before the reader publishes it anyway.</summary>
    private const long MaxHandOffDelayMs = 20;

    /// <summary>Longest the engines go without a clock tick (a read timeout ticks too), so classifier alerts come out within it.</summary>
    private const long MaxTickDelayMs = 250;

    public static int Run(LiveSettings live, SensorSettings settings, CliConsole console, DetectorSet detectors, Func<DetectorSet>? moreDetectors = null, CancellationToken externalStop = default)
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

        int threads = live.Threads;
        using (source)
        using (var run = new SensorRun(settings.PerPacketThread(threads), console, detectors))
        {
            run.SourcesTotal = 1;
            SensorEngine engine = run.Engine;
            engine.SetLinkType(source.LinkType);
            PacketWorkers? workers = threads > 0 ? new PacketWorkers(run, threads, [null], continuous: true, moreDetectors ?? (() => detectors)) : null;
            workers?.BeginSource(0, source.LinkType);
            if (!LinkType.IsSupported(source.LinkType))
            {
                console.Error.WriteLine("warning: " + live.Capture.Interface + ": " + LinkType.Describe(source.LinkType) + " is not supported; its packets are counted as skipped");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(externalStop);
            using CancellationTokenRegistration onStop = stop.Token.Register(source.Interrupt);
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

            console.Error.WriteLine("capturing on " + source.Name + " (" + LinkType.Describe(source.LinkType) + ")"
                + (live.Capture.Filter is { Length: > 0 } f ? ", filter \"" + f + "\"" : string.Empty)
                + (threads > 0 ? ", " + threads + (threads == 1 ? " packet thread" : " packet threads") : string.Empty) + "; Ctrl-C stops");
            long started = Environment.TickCount64;
            long deadline = live.DurationSeconds > 0 ? started + (long)(live.DurationSeconds * 1000) : long.MaxValue;
            long statsEvery = (long)(live.StatsIntervalSeconds * 1000);
            long nextStats = statsEvery > 0 ? started + statsEvery : long.MaxValue;
            long lastHandOff = started;
            long lastTick = started;
            int exitCode = ExitCodes.Ok;

            // Packet time follows the wall clock; the engines expire idle flows and report the classifier thread's verdicts.
            void Tick()
            {
                lastTick = Environment.TickCount64;
                long nowMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
                if (workers is null)
                {
                    engine.AdvanceTime(nowMicros);
                }
                else
                {
                    workers.Tick(nowMicros);
                }
            }

            while (!stop.IsCancellationRequested)
            {
                ReadStatus status = source.ReadNext(out RawPacket packet);
                if (status == ReadStatus.Packet)
                {
                    if (workers is null)
                    {
                        engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number);
                    }
                    else
                    {
                        workers.Dispatch(in packet, 0);
                    }

                    if (live.PacketLimit > 0 && packet.Number >= live.PacketLimit)
                    {
                        break;
                    }
                }
                else if (status == ReadStatus.Timeout)
                {
                    // No packet yet: let packet time follow the wall clock so timeouts still fire.
                    Tick();
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

                if (workers is not null && now - lastHandOff >= MaxHandOffDelayMs)
                {
                    lastHandOff = now;
                    workers.Flush();
                }

                if (now - lastTick >= MaxTickDelayMs)
                {
                    // A busy link keeps read timeouts away, but the classifier thread's verdicts must still come out.
                    Tick();
                }

                if (now >= nextStats)
                {
                    nextStats = now + statsEvery;
                    PrintStats(console.Error, run, source.GetStatistics());
                }
            }

            run.KernelStatistics = source.GetStatistics();
            workers?.CompleteAndJoin();
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

    /// <summary>A statistics line; with packet threads the counters are read while they run, so they are approximate.</summary>
    private static void PrintStats(TextWriter error, SensorRun run, CaptureStatistics? kernel)
    {
        long packets = 0, flows = 0, detections = 0;
        foreach (SensorShard shard in run.Shards)
        {
            packets += shard.Engine.Counters.Packets;
            flows += shard.Engine.Flows.Count;
            detections += shard.Engine.Counters.Detections;
        }

        string line = "stats: " + SensorRun.N(packets) + " packets, " + SensorRun.N(flows) + " active flows, "
            + SensorRun.N(detections) + " detections";
        if (kernel is { } k)
        {
            line += ", kernel " + SensorRun.N(k.Received) + " received / " + SensorRun.N(k.Dropped) + " dropped";
        }

        error.WriteLine(line);
    }
}
