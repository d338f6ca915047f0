using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Engine.Pipeline;

/// <summary>Plain counters of one engine, updated on the packet thread and read at report time.</summary>
public sealed class EngineCounters
{
    private readonly long[] _byStatus = new long[DecodeStatusExtensions.Count];

    public long Packets;
    public long WireBytes;
    public long CapturedBytes;
    public long PayloadPacketsInspected;
    public long Detections;

    /// <summary>Packets that decoded to <paramref name="status"/>.</summary>
    public long this[DecodeStatus status] => _byStatus[(int)status];

    public long Malformed
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _byStatus.Length; i++)
            {
                if (((DecodeStatus)i).IsMalformed())
                {
                    sum += _byStatus[i];
                }
            }

            return sum;
        }
    }

    internal void Count(DecodeStatus status) => _byStatus[(int)status]++;
}
