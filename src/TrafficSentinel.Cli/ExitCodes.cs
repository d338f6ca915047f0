namespace TrafficSentinel.Cli;

/// <summary>Process exit codes; documented in README.md.</summary>
internal static class ExitCodes
{
    /// <summary>Every input was read to its end (or the live sensor stopped cleanly).</summary>
    public const int Ok = 0;

    /// <summary>Some input could not be read, or broke part-way; what was found before is kept and reported.</summary>
    public const int InputFailed = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>Nothing could run: no readable input, a device that would not open, libpcap missing.</summary>
    public const int CannotStart = 3;
}
