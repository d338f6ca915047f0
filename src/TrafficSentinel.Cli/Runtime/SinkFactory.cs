using TrafficSentinel.Alerts;
using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>Builds the sinks named by <c>--output</c>; console and stdout JSON go to the command's writer.</summary>
internal static class SinkFactory
{
    public static bool TryValidate(IEnumerable<string> specs, out string? error)
    {
        foreach (string spec in specs)
        {
            if (!AlertSinkSpec.TryParse(spec, out _, out error))
            {
                error = "--output " + spec + ": " + error;
                return false;
            }
        }

        error = null;
        return true;
    }

    public static List<IAlertSink> Create(IEnumerable<string> specs, CliConsole console)
    {
        var sinks = new List<IAlertSink>();
        try
        {
            foreach (string text in specs)
            {
                AlertSinkSpec spec = AlertSinkSpec.Parse(text);
                sinks.Add(spec.Kind switch
                {
                    AlertSinkKind.Console => new ConsoleAlertSink(
                        console.Out,
                        ConsoleAlertSink.ShouldUseColor(console.OutIsTerminal, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM"))),
                    AlertSinkKind.JsonLines when spec.Path is null => new JsonLinesAlertSink(console.Out, "jsonl", leaveOpen: true),
                    _ => spec.CreateSink(),
                });
            }
        }
        catch
        {
            foreach (IAlertSink sink in sinks)
            {
                sink.Dispose();
            }

            throw;
        }

        return sinks;
    }
}
