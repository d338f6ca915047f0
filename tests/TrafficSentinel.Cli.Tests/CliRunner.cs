using System.Text;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;

namespace TrafficSentinel.Cli.Tests;

/// <summary>Runs the sentinel command line in-process with captured output.</summary>
internal static class CliRunner
{
    public static CliResult Run(DetectorSet? detectors, params string[] args) => Run(detectors, default, args);

    public static CliResult Run(DetectorSet? detectors, CancellationToken stop, params string[] args)
    {
        var stdout = new SyncWriter();
        var stderr = new SyncWriter();
        int exit = Program.Run(args, new CliConsole(stdout, stderr, ErrorIsTerminal: false, OutIsTerminal: false), detectors, stop);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A StringWriter safe to write from the sink threads and read from the test.</summary>
    internal sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>The packet count from the summary's input line.</summary>
    public long SummaryPackets
    {
        get
        {
            System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(Error, @"^input .*?, ([\d,]+) packets,", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.True(m.Success, "no summary input line in:\n" + Error);
            return long.Parse(m.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public void AssertNoStackTrace()
    {
        Assert.DoesNotContain("   at ", Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", Error, StringComparison.Ordinal);
    }
}
