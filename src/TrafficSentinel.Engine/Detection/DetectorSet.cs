using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Detection;

/// <summary>
/// The detectors one engine runs, split by transport at construction (nDPI's per-selection arrays),
/// each given a slice of the flow's <see cref="DetectorStateBlock"/> and a protocol bit for the
/// one-alert-per-protocol rule.
/// </summary>
public sealed class DetectorSet
{
    public const int MaxDetectors = 64;

    private readonly FlowDetector[] _all;
    private readonly int[] _stateOffsets;
    private readonly int[] _protocolBits;
    private readonly string[] _protocols;

    public DetectorSet(IReadOnlyList<FlowDetector> detectors)
    {
        if (detectors.Count > MaxDetectors)
        {
            throw new ArgumentException($"at most {MaxDetectors} detectors", nameof(detectors));
        }

        _all = [.. detectors];
        _stateOffsets = new int[_all.Length];
        _protocolBits = new int[_all.Length];
        var protocols = new List<string>();
        int offset = 0;
        for (int i = 0; i < _all.Length; i++)
        {
            FlowDetector d = _all[i];
            if (d.StateSize < 0 || offset + d.StateSize > DetectorStateBlock.Size)
            {
                throw new ArgumentException(
                    $"detector state does not fit: {d.Name} needs {d.StateSize} bytes, {DetectorStateBlock.Size - offset} left of {DetectorStateBlock.Size}",
                    nameof(detectors));
            }

            _stateOffsets[i] = offset;
            offset += d.StateSize;
            int bit = protocols.IndexOf(d.Protocol);
            if (bit < 0)
            {
                bit = protocols.Count;
                protocols.Add(d.Protocol);
            }

            _protocolBits[i] = bit;
        }

        _protocols = [.. protocols];
        var endHooks = new List<int>();
        for (int i = 0; i < _all.Length; i++)
        {
            if (_all[i].WantsFlowEnd)
            {
                endHooks.Add(i);
            }
        }

        FlowEndHooks = [.. endHooks];
        Tcp = IndexesFor(DetectorTransports.Tcp);
        Udp = IndexesFor(DetectorTransports.Udp);
        OtherIp = IndexesFor(DetectorTransports.OtherIp);
    }

    public static DetectorSet Empty { get; } = new([]);

    public int Count => _all.Length;

    internal int[] Tcp { get; }

    internal int[] Udp { get; }

    internal int[] OtherIp { get; }

    /// <summary>Detectors whose <see cref="FlowDetector.OnFlowEnded"/> must run.</summary>
    internal int[] FlowEndHooks { get; }

    public FlowDetector this[int index] => _all[index];

    public IReadOnlyList<string> Protocols => _protocols;

    internal int StateOffset(int index) => _stateOffsets[index];

    internal int ProtocolBit(int index) => _protocolBits[index];

    /// <summary>The state slice of detector <paramref name="index"/> inside a flow's block.</summary>
    public Span<byte> StateOf(int index, ref DetectorStateBlock block) =>
        ((Span<byte>)block).Slice(_stateOffsets[index], _all[index].StateSize);

    private int[] IndexesFor(DetectorTransports transport)
    {
        var indexes = new List<int>();
        for (int i = 0; i < _all.Length; i++)
        {
            if ((_all[i].Transports & transport) != 0)
            {
                indexes.Add(i);
            }
        }

        return [.. indexes];
    }
}
