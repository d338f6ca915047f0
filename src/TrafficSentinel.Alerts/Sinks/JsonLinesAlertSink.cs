using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TrafficSentinel.Alerts.Sinks;

/// <summary>
/// Writes one EVE-shaped JSON object per line (see <see cref="EveJson"/> for the shape and why
/// <c>event_type</c> is <c>"alert"</c>) to a file, a stream or a <see cref="TextWriter"/> such as stdout.
/// </summary>
public sealed class JsonLinesAlertSink : IAlertSink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly Stream? _stream;
    private readonly TextWriter? _text;
    private readonly bool _leaveOpen;
    private bool _disposed;

    /// <summary>Writes UTF-8 lines to <paramref name="stream"/>.</summary>
    public JsonLinesAlertSink(Stream stream, string name, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name;
        _json = new Utf8JsonWriter(_buffer, EveJson.Options);
    }

    /// <summary>
    /// Writes lines to <paramref name="writer"/>, one <see cref="TextWriter.Write(string)"/> call per
    /// line so that a synchronised writer such as <see cref="Console.Out"/> never interleaves them.
    /// </summary>
    public JsonLinesAlertSink(TextWriter writer, string name, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _text = writer;
        _leaveOpen = leaveOpen;
        Name = name;
        _json = new Utf8JsonWriter(_buffer, EveJson.Options);
    }

    public string Name { get; }

    /// <summary>Appends to <paramref name="path"/>, creating it (and its folder) if needed, as Suricata does with eve.json.</summary>
    public static JsonLinesAlertSink OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        return new JsonLinesAlertSink(stream, "jsonl:" + path);
    }

    /// <summary>Lines to the process's standard output (<see cref="Console.Out"/>).</summary>
    public static JsonLinesAlertSink ToStandardOutput() => new(Console.Out, "jsonl", leaveOpen: true);

    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ObjectDisposedException.ThrowIf(_disposed, this);
        EveJson.WriteTo(_buffer, _json, alert);
        _buffer.Write("\n"u8);
        if (_stream is not null)
        {
            _stream.Write(_buffer.WrittenSpan);
        }
        else
        {
            _text!.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        }
    }

    public void Flush()
    {
        if (_disposed)
        {
            return;
        }

        _stream?.Flush();
        _text?.Flush();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            Flush();
        }
        finally
        {
            _disposed = true;
            _json.Dispose();
            if (!_leaveOpen)
            {
                _stream?.Dispose();
                _text?.Dispose();
            }
        }
    }
}
