using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TrafficSentinel.Engine.Features;

/// <summary>The first payload sizes of a flow, signed by direction (+ client→server, − server→client).</summary>
[InlineArray(Count)]
public struct FirstSizes
{
    public const int Count = 8;

    private short _element0;
}

/// <summary>A coarse histogram of transport payload sizes (see <see cref="FlowFeatureState.SizeBin"/>).</summary>
[InlineArray(Count)]
public struct SizeHistogram
{
    public const int Count = 6;

    private ushort _element0;
}

/// <summary>Directions of a flow's packets, for <see cref="FlowFeatureState"/>.</summary>
[Flags]
public enum SeenFlags : byte
{
    None = 0,
    LastToServer = 1,
    LastToClient = 2,
    ToServer = 4,
    ToClient = 8,
}

/// <summary>Size and timing statistics of one direction of a flow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DirectionStats
{
    /// <summary>Sum of transport payload bytes.</summary>
    public uint PayloadSum;

    /// <summary>Sum of squared payload sizes.</summary>
    public float PayloadSquares;

    public ushort PayloadMin;
    public ushort PayloadMax;

    /// <summary>Time of the direction's last packet, µs after the flow's first packet (saturating).</summary>
    public uint LastOffsetMicros;

    /// <summary>Sum and sum of squares of the inter-arrival times within this direction, in milliseconds.</summary>
    public float IatSum;
    public float IatSquares;
}

/// <summary>
/// The flow classifier's per-flow accumulator: 96 bytes inside <see cref="Flows.FlowRecord"/>, updated
/// by <see cref="Update"/> for each packet until the flow is judged. Sizes are transport payload
/// bytes (no link or IP header, so the link type and IP version do not show); times are relative.
/// Nothing here names an address, port, TTL or other trait of a particular capture.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct FlowFeatureState
{
    /// <summary>Payload bytes of a packet whose bit density is sampled.</summary>
    public const int SampleBytes = 64;

    /// <summary>Payload packets whose bit density is sampled (the first ones).</summary>
    public const int SamplePackets = 4;

    public FirstSizes FirstSizes;

    /// <summary>Index 0: client→server; 1: server→client.</summary>
    public DirectionStats ToServer;
    public DirectionStats ToClient;

    public SizeHistogram Histogram;

    /// <summary>Largest payload seen, and how many packets had exactly that size.</summary>
    public ushort MaxPayload;
    public ushort AtMaxCount;

    /// <summary>Packets whose direction differs from the previous packet's.</summary>
    public ushort DirectionChanges;

    /// <summary>Payloads whose length is a multiple of 16 (block/AEAD framing).</summary>
    public ushort Multiple16Count;

    /// <summary>Packets seen (saturating at 65,535).</summary>
    public ushort Packets;

    /// <summary><see cref="SeenFlags"/>: the previous packet's direction and the directions seen.</summary>
    public SeenFlags Seen;

    /// <summary>Payload packets sampled for bit density so far.</summary>
    public byte Sampled;

    /// <summary>Set bits and bytes in the sampled payload prefixes.</summary>
    public uint SampledOnes;
    public uint SampledBytes;

    /// <summary>The size-histogram bin of a payload length: 0, 1–99, 100–299, 300–699, 700–1199, ≥1200.</summary>
    public static int SizeBin(int payloadLength) => payloadLength switch
    {
        0 => 0,
        < 100 => 1,
        < 300 => 2,
        < 700 => 3,
        < 1200 => 4,
        _ => 5,
    };

    /// <summary>
    /// Adds one packet. <paramref name="offsetMicros"/> is the packet's time after the flow's first
    /// packet. No allocation, no exception, constant work (at most <see cref="SampleBytes"/> bytes read).
    /// </summary>
    public void Update(ReadOnlySpan<byte> payload, bool toServer, long offsetMicros)
    {
        int length = payload.Length;
        ushort size = (ushort)Math.Min(length, ushort.MaxValue);
        uint offset = (uint)Math.Clamp(offsetMicros, 0, uint.MaxValue);
        int index = Packets;
        if (index < FirstSizes.Count)
        {
            FirstSizes[index] = (short)(toServer ? Math.Min(length, short.MaxValue) : -Math.Min(length, short.MaxValue));
        }

        if (Packets < ushort.MaxValue)
        {
            Packets++;
        }

        SeenFlags last = toServer ? SeenFlags.LastToServer : SeenFlags.LastToClient;
        SeenFlags seen = toServer ? SeenFlags.ToServer : SeenFlags.ToClient;
        if ((Seen & (SeenFlags.LastToServer | SeenFlags.LastToClient)) is not SeenFlags.None and var previous && previous != last && DirectionChanges < ushort.MaxValue)
        {
            DirectionChanges++;
        }

        ref DirectionStats d = ref toServer ? ref ToServer : ref ToClient;
        if ((Seen & seen) != 0)
        {
            float iatMs = (offset - Math.Min(offset, d.LastOffsetMicros)) / 1000f;
            d.IatSum += iatMs;
            d.IatSquares += iatMs * iatMs;
            d.PayloadMin = Math.Min(d.PayloadMin, size);
        }
        else
        {
            d.PayloadMin = size;
        }

        d.LastOffsetMicros = offset;
        d.PayloadSum += size;
        d.PayloadSquares += (float)size * size;
        d.PayloadMax = Math.Max(d.PayloadMax, size);
        Seen = (Seen & (SeenFlags.ToServer | SeenFlags.ToClient)) | seen | last;

        ref ushort bin = ref Histogram[SizeBin(length)];
        if (bin < ushort.MaxValue)
        {
            bin++;
        }

        if (size > MaxPayload)
        {
            MaxPayload = size;
            AtMaxCount = 1;
        }
        else if (size == MaxPayload && size > 0 && AtMaxCount < ushort.MaxValue)
        {
            AtMaxCount++;
        }

        if (length > 0)
        {
            if ((length & 15) == 0 && Multiple16Count < ushort.MaxValue)
            {
                Multiple16Count++;
            }

            if (Sampled < SamplePackets)
            {
                Sampled++;
                ReadOnlySpan<byte> sample = payload[..Math.Min(length, SampleBytes)];
                SampledOnes += (uint)PopCount(sample);
                SampledBytes += (uint)sample.Length;
            }
        }
    }

    private static int PopCount(ReadOnlySpan<byte> bytes)
    {
        int ones = 0;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            ones += BitOperations.PopCount(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
        }

        for (; i < bytes.Length; i++)
        {
            ones += BitOperations.PopCount(bytes[i]);
        }

        return ones;
    }
}
