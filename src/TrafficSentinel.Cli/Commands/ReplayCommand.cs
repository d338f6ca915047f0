using System.Diagnostics;
using System.Globalization;
using TrafficSentinel.Alerts;
using TrafficSentinel.Capture;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Commands;

/// <summary><c>sentinel replay FILES…</c>: read capture files (or folders of them) in order.</summary>
internal static class ReplayCommand
{
    private const int ProgressCheckMask = (1 << 16) - 1;

    /// <summary>
    /// Replays with <paramref name="threads"/> packet threads beside the reader (0: process on the
    /// reading thread); <paramref name="detectors"/> serve the first, <paramref name="moreDetectors"/>
    /// makes those of each further thread.
    /// </summary>
    public static int Run(IReadOnlyList<string> paths, SensorSettings settings, bool continuous, bool progress, CliConsole console, DetectorSet detectors, Func<DetectorSet> moreDetectors, int threads) =>
        Run(paths, settings, continuous, progress, console, detectors, null, out _, threads, moreDetectors);

    /// <summary>Replays <paramref name="paths"/>; <paramref name="extraSinks"/> receive the alerts too. <paramref name="files"/> are the files read.</summary>
    public static int Run(IReadOnlyList<string> paths, SensorSettings settings, bool continuous, bool progress, CliConsole console, DetectorSet detectors, IEnumerable<IAlertSink>? extraSinks, out IReadOnlyList<string> files, int threads = 0, Func<DetectorSet>? moreDetectors = null)
    {
        files = [];
        try
        {
            files = CaptureInputs.Expand(paths);
        }
        catch (CaptureException e)
        {
            console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.CannotStart;
        }

        if (files.Count == 0)
        {
            console.Error.WriteLine("error: no capture files (*.pcap, *.pcapng, *.cap) in " + string.Join(", ", paths));
            return ExitCodes.CannotStart;
        }

        using var run = new SensorRun(settings.PerPacketThread(threads), console, detectors, extraSinks) { SourcesTotal = files.Count };
        PacketWorkers? workers = threads > 0 ? new PacketWorkers(run, threads, files, continuous, moreDetectors ?? (() => detectors)) : null;
        bool showProgress = progress && console.ErrorIsTerminal;
        for (int i = 0; i < files.Count; i++)
        {
            ReplayFile(run, files[i], i, workers, showProgress ? new Progress(console.Error, i + 1, files.Count) : null);
            if (!continuous && workers is null)
            {
                // Each file is its own capture: its flows end with it, and packet time starts afresh.
                run.Engine.EndOfSource();
            }
        }

        workers?.CompleteAndJoin();
        run.Complete();
        run.PrintSummary();
        return run.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.InputFailed;
    }

    private static void ReplayFile(SensorRun run, string path, int index, PacketWorkers? workers, Progress? progress)
    {
        CaptureFileSource source;
        try
        {
            source = CaptureFileSource.Open(path);
        }
        catch (CaptureException e)
        {
            run.Fail(e.Message);
            return;
        }

        using (source)
        {
            if (!LinkType.IsSupported(source.LinkType))
            {
                run.Fail(path + ": " + LinkType.Describe(source.LinkType) + " is not supported; its packets are counted as skipped");
            }

            // With packet threads, the engines belong to the workers: only they set link type and file.
            SensorEngine engine = run.Engine;
            if (workers is null)
            {
                run.Shards[0].BeginSource(path, source.LinkType);
            }
            else
            {
                workers.BeginSource(index, source.LinkType);
            }

            progress?.Start(path);
            long capturedBytes = 0;
            while (true)
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
                        workers.Dispatch(in packet, index);
                    }

                    if (progress is not null)
                    {
                        capturedBytes += packet.Data.Length + 16;
                        if ((packet.Number & ProgressCheckMask) == 0)
                        {
                            progress.Report(packet.Number, capturedBytes);
                        }
                    }

                    continue;
                }

                if (status == ReadStatus.Error)
                {
                    run.Fail(CaptureErrors.Describe(source));
                }

                // EndOfCapture; a file never times out.
                break;
            }

            progress?.Done();
        }
    }

    /// <summary>A one-line progress display on stderr, for terminals only.</summary>
    private sealed class Progress(TextWriter error, int fileIndex, int fileCount)
    {
        private readonly Stopwatch _sinceLast = new();
        private long _fileSize;
        private string _name = "";

        public void Start(string path)
        {
            _name = Path.GetFileName(path);
            _fileSize = Math.Max(1, new FileInfo(path).Length);
            _sinceLast.Restart();
        }

        public void Report(long packets, long bytes)
        {
            if (_sinceLast.ElapsedMilliseconds < 500)
            {
                return;
            }

            _sinceLast.Restart();
            double percent = Math.Min(100, bytes * 100.0 / _fileSize);
            error.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{fileIndex}/{fileCount}] {_name}: {packets:N0} packets ({percent:0}%)   "));
            error.Flush();
        }

        public void Done()
        {
            error.Write("\r\u001b[K");
            error.Flush();
        }
    }
}
