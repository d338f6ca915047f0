namespace TrafficSentinel.Capture;

/// <summary>
/// A capture could not be opened or set up. <see cref="Exception.Message"/> is one line that names
/// the file or interface and says why, fit to print as it is (no stack trace needed).
/// </summary>
public sealed class CaptureException : Exception
{
    public CaptureException()
    {
    }

    public CaptureException(string message)
        : base(message)
    {
    }

    public CaptureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
