namespace TrafficSentinel.Engine.Flows;

/// <summary>Receives flows as they end (timeout, eviction, TCP close, end of input). Cold path.</summary>
public interface IFlowObserver
{
    /// <summary>The record is valid only during the call; copy what must outlive it.</summary>
    void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason);
}
