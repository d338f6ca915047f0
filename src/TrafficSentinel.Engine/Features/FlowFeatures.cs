using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Features;

/// <summary>
/// Turns a flow's <see cref="FlowFeatureState"/> and counters into the classifier's feature vector
/// (<see cref="FeatureSchema"/>). The one extractor used by training and by the live sensor. No
/// allocation; values of absent statistics are 0 (−1 for the bit density of a flow without payload and for
/// framing shares with nothing to compare).
/// </summary>
public static class FlowFeatures
{
    public static void Extract(in FlowRecord flow, Span<float> features)
    {
        if (features.Length < FeatureSchema.Length)
        {
            throw new ArgumentException("the feature span is shorter than FeatureSchema.Length", nameof(features));
        }

        ref readonly FlowFeatureState s = ref flow.Features;
        for (int i = 0; i < FirstSizes.Count; i++)
        {
            features[i] = s.FirstSizes[i];
        }

        float toServer = flow.PacketsToServer;
        float toClient = flow.PacketsToClient;
        float packets = toServer + toClient;
        features[8] = toServer;
        features[9] = toClient;
        features[10] = packets > 0 ? toServer / packets : 0;
        float payloadTotal = (float)s.ToServer.PayloadSum + s.ToClient.PayloadSum;
        features[11] = payloadTotal > 0 ? s.ToServer.PayloadSum / payloadTotal : 0;

        Direction(in s.ToServer, toServer, features, 0);
        Direction(in s.ToClient, toClient, features, 1);

        features[24] = (flow.LastSeenMicros - flow.FirstSeenMicros) / 1e6f;
        float seen = s.Packets;
        for (int b = 0; b < SizeHistogram.Count; b++)
        {
            features[25 + b] = seen > 0 ? s.Histogram[b] / seen : 0;
        }

        features[31] = seen > 0 ? s.AtMaxCount / seen : 0;
        features[32] = s.MaxPayload;
        features[33] = seen > 1 ? s.DirectionChanges / (seen - 1) : 0;
        features[34] = s.SampledBytes > 0 ? s.SampledOnes / (8f * s.SampledBytes) : -1;
        float payloadPackets = seen - s.Histogram[0];
        features[35] = payloadPackets > 0 ? s.Multiple16Count / payloadPackets : 0;
        features[36] = flow.Key.Protocol switch
        {
            IpProtocol.Tcp => 1,
            IpProtocol.Udp => 0,
            _ => 2,
        };

        // Framing (schema v2): shares of the payloads compared with the previous one of their direction, or of all framed payloads.
        float compared = s.Compared;
        float framed = s.Framed;
        features[37] = Share(s.SameByte1, compared);
        features[38] = Share(s.SameBytes2, compared);
        features[39] = Share(s.SameBytes4, compared);
        features[40] = Share(s.CounterBe4, compared);
        features[41] = Share(s.CounterBe6, compared);
        features[42] = Share(s.CounterLe8, compared);
        features[43] = Share(s.SameSize, compared);
        features[44] = Share(s.LengthPrefixed, framed);
        features[45] = Share(s.TlsRecord, framed);
        features[46] = Share(s.TlsAligned, framed);
        features[47] = Share(s.TorCells, framed);
        features[48] = Share(s.DtlsRecord, framed);
    }

    /// <summary>count / total, or −1 when nothing was counted (no payload of that kind: not the same as a share of 0).</summary>
    private static float Share(byte count, float total) => total > 0 ? count / total : -1;

    /// <summary>
    /// One direction's payload and gap statistics; 0 for those it has no packets (or no gaps) for. Every
    /// one is written: the live classifier reuses its vector, and a value left from the flow it judged
    /// before would make its input differ from the training rows (fresh vectors).
    /// </summary>
    private static void Direction(in DirectionStats d, float packets, Span<float> f, int side)
    {
        f[12 + side] = 0;
        f[14 + side] = 0;
        f[16 + side] = 0;
        f[18 + side] = 0;
        f[20 + side] = 0;
        f[22 + side] = 0;
        if (packets <= 0)
        {
            return;
        }

        float mean = d.PayloadSum / packets;
        f[12 + side] = mean;
        f[14 + side] = MathF.Sqrt(MathF.Max(0, (d.PayloadSquares / packets) - (mean * mean)));
        f[16 + side] = d.PayloadMin;
        f[18 + side] = d.PayloadMax;
        float gaps = packets - 1;
        if (gaps > 0)
        {
            float iat = d.IatSum / gaps;
            f[20 + side] = iat;
            f[22 + side] = MathF.Sqrt(MathF.Max(0, (d.IatSquares / gaps) - (iat * iat)));
        }
    }
}
