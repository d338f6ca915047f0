namespace TrafficSentinel.Cli.Runtime;

/// <summary>The writers a command prints to; tests pass their own.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool ErrorIsTerminal, bool OutIsTerminal)
{
    public static CliConsole System { get; } = new(
        Console.Out,
        Console.Error,
        !Console.IsErrorRedirected,
        !Console.IsOutputRedirected);
}
