namespace TrafficSentinel.Engine.Flows;

/// <summary>Why a flow record was handed on.</summary>
public enum FlowEndReason : byte
{
    /// <summary>No packet for the idle timeout (or the shorter closed timeout after FIN/RST).</summary>
    IdleTimeout,

    /// <summary>The flow lasted longer than the active timeout; a new record continues it.</summary>
    ActiveTimeout,

    /// <summary>The table was full and this was the least recently seen flow.</summary>
    Evicted,

    /// <summary>TCP closed: both FINs or a RST seen, then the closed timeout passed.</summary>
    TcpClosed,

    /// <summary>The input ended (end of the last capture file, or the sensor stopped).</summary>
    EndOfInput,
}
