namespace TrafficSentinel.Capture;

/// <summary>One-line, user-facing descriptions of capture failures.</summary>
public static class CaptureErrors
{
    internal const string LibpcapMissing = "libpcap is not installed (on Debian: apt-get install libpcap0.8)";

    /// <summary>
    /// After <see cref="ReadStatus.Error"/>: <c>file: broken after packet N: message</c> for a file,
    /// <c>iface: capture failed after packet N: message</c> for a live interface. N is the number of
    /// good packets read before the failure.
    /// </summary>
    public static string Describe(IPacketSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source is LiveCaptureSource
            ? source.Name + ": capture failed after packet " + source.PacketsRead + ": " + OneLine(source.LastError)
            : BrokenAfter(source.Name, source.PacketsRead, source.LastError);
    }

    /// <summary>
    /// <c>file: broken after packet N: message</c>. libpcap's complaint about a pcapng file whose
    /// interfaces have different link types (or snapshot lengths) is explained in words first.
    /// </summary>
    public static string BrokenAfter(string fileName, long goodPackets, string? libpcapMessage)
    {
        string message = OneLine(libpcapMessage);
        if (message.Contains("different from the", StringComparison.Ordinal) && message.Contains("first interface", StringComparison.Ordinal))
        {
            message = "the pcapng file has interfaces with different link types or snapshot lengths, which libpcap cannot read past (" + message + ")";
        }

        return fileName + ": broken after packet " + goodPackets + ": " + message;
    }

    internal static string OneLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "unknown error";
        }

        return text.Trim().ReplaceLineEndings(" ");
    }
}
