using System.CommandLine;
using System.Globalization;
using TrafficSentinel.Capture;
using TrafficSentinel.Cli.Commands;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Protocols.Tor;

namespace TrafficSentinel.Cli;

/// <summary>The <c>sentinel</c> command line: composition root for every command.</summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args, CliConsole.System);

    /// <summary>Parses and runs a command line, printing to <paramref name="console"/>. Tests call this.</summary>
    internal static int Run(string[] args, CliConsole console, DetectorSet? detectors = null, CancellationToken stop = default)
    {
        // The checkout's default model is used only by the real composition (no detectors injected).
        RootCommand root = BuildCommandLine(console, options => detectors ?? DetectorRegistry.CreateDefault(options), stop, useDefaultModel: detectors is null);
        ParseResult parsed = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            ProcessTerminationTimeout = null,
        };
        if (parsed.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                console.Error.WriteLine("error: " + error.Message);
            }

            console.Error.WriteLine("Try '" + string.Join(' ', ["sentinel", .. CommandPath(parsed)]) + " --help'.");
            return ExitCodes.Usage;
        }

        return parsed.Invoke(invocation);
    }

    private static List<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = parsed.CommandResult; r is System.CommandLine.Parsing.CommandResult c && c.Parent is not null; r = r.Parent)
        {
            names.Insert(0, c.Command.Name);
        }

        return names;
    }

    internal static RootCommand BuildCommandLine(CliConsole console, Func<DetectorOptions, DetectorSet> createDetectors, CancellationToken stop, bool useDefaultModel = false)
    {
        var ml = new MlSettings();
        var root = new RootCommand(
            "TrafficSentinel: finds VPN and anonymizer traffic (OpenVPN, WireGuard, Tor, ...) in live traffic or capture files.");

        // Options shared by replay and live.
        var output = new Option<string[]>("--output", "-o")
        {
            Description = "Where alerts go; repeat for several: console, jsonl (stdout), jsonl:PATH, syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT.",
            DefaultValueFactory = _ => ["console"],
            Arity = ArgumentArity.OneOrMore,
            HelpName = "SINK",
        };
        output.Validators.Add(result =>
        {
            if (!SinkFactory.TryValidate(result.GetValueOrDefault<string[]>() ?? [], out string? error))
            {
                result.AddError(error!);
            }
        });
        var maxFlows = new Option<int>("--max-flows")
        {
            Description = "Hard cap on flows tracked at once; the least recently seen is evicted beyond it.",
            DefaultValueFactory = _ => new SensorSettings().MaxFlows,
        };
        maxFlows.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<int>(), 1, 1 << 26));
        var idle = new Option<double>("--idle-timeout")
        {
            Description = "Seconds without a packet after which a flow ends.",
            DefaultValueFactory = _ => new SensorSettings().IdleTimeoutSeconds,
        };
        idle.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<double>(), 0.001, 86_400 * 7));
        var active = new Option<double>("--active-timeout")
        {
            Description = "Seconds after which a long flow is handed on and continues as a new record.",
            DefaultValueFactory = _ => new SensorSettings().ActiveTimeoutSeconds,
        };
        active.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<double>(), 0.001, 86_400 * 365));
        var sensorName = new Option<string?>("--sensor-name") { Description = "A name for this sensor, carried in every alert." };
        var torRelays = new Option<string?>("--tor-relays")
        {
            Description = "A Tor consensus or a list of relay addresses (IP or IP:port per line): flows to them are attributed to Tor even when TLS hides the rest.",
            HelpName = "FILE",
        };

        // Builds the detectors a command runs; null (after saying why) when an input file is bad.
        DetectorSet? Detectors(ParseResult p)
        {
            TorRelayList? relays = null;
            if (p.GetValue(torRelays) is { Length: > 0 } relayFile)
            {
                try
                {
                    relays = TorRelayList.Load(relayFile);
                }
                catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
                {
                    console.Error.WriteLine("error: --tor-relays: " + e.Message);
                    return null;
                }
            }

            return createDetectors(new DetectorOptions { TorRelays = relays });
        }

        SensorSettings Settings(ParseResult p) => new()
        {
            Outputs = p.GetValue(output) ?? ["console"],
            MaxFlows = p.GetValue(maxFlows),
            IdleTimeoutSeconds = p.GetValue(idle),
            ActiveTimeoutSeconds = p.GetValue(active),
            SensorName = p.GetValue(sensorName),
        };

        // replay
        var files = new Argument<string[]>("FILES")
        {
            Description = "Capture files (pcap, pcapng) or folders of them, read in the order given; a folder's files in name order.",
            Arity = ArgumentArity.OneOrMore,
        };
        var continuous = new Option<bool>("--continuous")
        {
            Description = "Treat the files as one capture cut into pieces (tcpdump -C/-G): flows carry over from file to file. By default each file's flows end with it.",
        };
        var noProgress = new Option<bool>("--no-progress") { Description = "Do not show progress on stderr (it is shown only when stderr is a terminal)." };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Packet threads beside the reading thread: flows are split among them by a symmetric hash of their addresses and ports, each with its own flow table (the --max-flows cap is shared out). 0: decode and detect on the reading thread.",
            DefaultValueFactory = _ => 0,
        };
        threads.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<int>(), 0, 64));
        var replay = new Command("replay", "Replay capture files and report the VPN and anonymizer flows in them, then a summary.")
        {
            files, output, continuous, noProgress, threads, maxFlows, idle, active, sensorName,
        };
        replay.Options.Add(torRelays);
        ml.AddTo(replay);
        replay.SetAction(p =>
        {
            SensorSettings s = Settings(p);
            return ml.TryApply(p, useDefaultModel, console, ref s) && Detectors(p) is { } set
                ? ReplayCommand.Run(p.GetValue(files)!, s, p.GetValue(continuous), !p.GetValue(noProgress), console, set, () => Detectors(p)!, p.GetValue(threads))
                : ExitCodes.CannotStart;
        });

        // live
        var iface = new Option<string>("--interface", "-i") { Description = "The interface to capture from (see 'sentinel interfaces').", Required = true };
        var filter = new Option<string?>("--filter", "-f") { Description = "A BPF capture filter, e.g. \"udp or tcp\"." };
        filter.Validators.Add(r =>
        {
            string? text = r.GetValueOrDefault<string?>();
            if (!string.IsNullOrWhiteSpace(text) && !LiveCaptureSource.TryValidateFilter(text, out string? error))
            {
                r.AddError("--filter: " + error);
            }
        });
        var snaplen = new Option<int>("--snaplen", "-s") { Description = "Bytes captured per packet.", DefaultValueFactory = _ => 262_144 };
        snaplen.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<int>(), 64, 262_144));
        var noPromisc = new Option<bool>("--no-promiscuous") { Description = "Do not put the interface in promiscuous mode." };
        var bufferSize = new Option<int?>("--buffer-size")
        {
            // libpcap's 2 MB default holds ~40 ms at 50k packets/s: the first packets' JIT alone overflowed it (measured).
            Description = "Kernel capture ring in bytes; it absorbs bursts and start-up while the sensor catches up.",
            DefaultValueFactory = _ => 64 << 20,
        };
        bufferSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int size)
            {
                RequireRange(r, size, 65_536, int.MaxValue);
            }
        });
        var duration = new Option<double>("--duration") { Description = "Stop after this many seconds (default: run until Ctrl-C or SIGTERM)." };
        duration.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<double>(), 0, double.MaxValue));
        var count = new Option<long>("--count", "-c") { Description = "Stop after this many packets." };
        count.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<long>(), 0, long.MaxValue));
        var stats = new Option<double>("--stats-interval") { Description = "Print a statistics line to stderr every this many seconds (0: never).", DefaultValueFactory = _ => 60 };
        stats.Validators.Add(r => RequireRange(r, r.GetValueOrDefault<double>(), 0, double.MaxValue));
        var liveCommand = new Command("live", "Capture from a network interface (a span or mirror port) and report VPN and anonymizer flows as they are found.")
        {
            iface, filter, snaplen, noPromisc, bufferSize, duration, count, stats, output, threads, maxFlows, idle, active, sensorName,
        };
        liveCommand.Options.Add(torRelays);
        ml.AddTo(liveCommand);
        liveCommand.SetAction(p =>
        {
            SensorSettings s = Settings(p);
            return !ml.TryApply(p, useDefaultModel, console, ref s) || Detectors(p) is not { } set ? ExitCodes.CannotStart : LiveCommand.Run(
            new LiveSettings
            {
                Capture = new LiveCaptureOptions
                {
                    Interface = p.GetValue(iface)!,
                    Filter = p.GetValue(filter),
                    Snaplen = p.GetValue(snaplen),
                    Promiscuous = !p.GetValue(noPromisc),
                    BufferSize = p.GetValue(bufferSize),
                },
                DurationSeconds = p.GetValue(duration),
                PacketLimit = p.GetValue(count),
                StatsIntervalSeconds = p.GetValue(stats),
                Threads = p.GetValue(threads),
            },
            s,
            console,
            set,
            () => Detectors(p)!,
            stop);
        });

        // evaluate
        var labelsOption = new Option<string>("--labels", "-l")
        {
            Description = "The labels file: CSV with file,l4,client_ip,client_port,server_ip,server_port,...,truth columns (see README).",
            Required = true,
        };
        var evalFiles = new Argument<string[]>("PCAPS")
        {
            Description = "The labelled captures (files or folders).",
            Arity = ArgumentArity.OneOrMore,
        };
        var evalOutput = new Option<string[]>("--output", "-o")
        {
            Description = "Also send the alerts to these sinks (default: none; the report goes to stdout).",
            DefaultValueFactory = _ => [],
            HelpName = "SINK",
        };
        evalOutput.Validators.Add(output.Validators[0]);
        var evaluate = new Command("evaluate", "Replay labelled captures and report per-class precision, recall, packets-to-detection and a confusion table.")
        {
            evalFiles, labelsOption, evalOutput, maxFlows, idle, active,
        };
        evaluate.Options.Add(torRelays);
        ml.AddTo(evaluate);
        evaluate.SetAction(p =>
        {
            var s = new SensorSettings
            {
                Outputs = p.GetValue(evalOutput) ?? [],
                MaxFlows = p.GetValue(maxFlows),
                IdleTimeoutSeconds = p.GetValue(idle),
                ActiveTimeoutSeconds = p.GetValue(active),
            };
            return ml.TryApply(p, useDefaultModel, console, ref s) && Detectors(p) is { } set
                ? EvaluateCommand.Run(p.GetValue(evalFiles)!, p.GetValue(labelsOption)!, s, console, set)
                : ExitCodes.CannotStart;
        });

        // train
        Command train = TrainCommand.Build(console);

        // interfaces
        var interfaces = new Command("interfaces", "List the interfaces libpcap can capture from.");
        interfaces.SetAction(_ => InterfacesCommand.Run(console));

        root.Subcommands.Add(replay);
        root.Subcommands.Add(liveCommand);
        root.Subcommands.Add(evaluate);
        root.Subcommands.Add(interfaces);
        root.Subcommands.Add(train);
        return root;
    }

    private static void RequireRange<T>(System.CommandLine.Parsing.OptionResult result, T value, T min, T max)
        where T : IComparable<T>, IFormattable
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{result.Option.Name} must be between {min} and {max}, not {value}."));
        }
    }
}
