namespace TrafficSentinel.Engine.Detection;

/// <summary>What a detector says about a flow after one packet (nDPI's continue / exclude / found).</summary>
public enum DetectorVerdict : byte
{
    /// <summary>Not decided yet; call again with the next packet.</summary>
    Continue,

    /// <summary>Not this protocol; never call this detector for the flow again.</summary>
    Exclude,

    /// <summary>This protocol, on strong evidence; the match describes it.</summary>
    Match,
}

/// <summary>How a detection was reached.</summary>
public enum DetectionMethod : byte
{
    /// <summary>A handshake or framing the protocol's specification defines.</summary>
    Signature,

    /// <summary>Consistent traffic shape without the handshake (lower confidence).</summary>
    Heuristic,

    /// <summary>The flow classifier.</summary>
    Ml,

    /// <summary>An address list (e.g. known Tor relays).</summary>
    AddressList,
}

/// <summary>Transports a detector wants to see.</summary>
[Flags]
public enum DetectorTransports : byte
{
    None = 0,
    Tcp = 1,
    Udp = 2,

    /// <summary>IP protocols other than TCP and UDP (ESP, AH, GRE, ...); the payload is the IP payload.</summary>
    OtherIp = 4,
    TcpAndUdp = Tcp | Udp,
}

/// <summary>What a detector fills in when it returns <see cref="DetectorVerdict.Match"/>.</summary>
public struct DetectionMatch
{
    public DetectionMethod Method;

    /// <summary>0 to 1.</summary>
    public float Confidence;

    /// <summary>A detector-defined code for the evidence, turned into text on the cold path.</summary>
    public int EvidenceCode;
}
