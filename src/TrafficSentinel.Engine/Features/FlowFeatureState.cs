using System.Buffers.Binary;
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

    /// <summary>A framing head (<see cref="FlowFeatureState.HeadToServer"/>) of this direction is stored.</summary>
    HeadToServer = 16,
    HeadToClient = 32,
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
/// The flow classifier's per-flow accumulator: 128 bytes inside <see cref="Flows.FlowRecord"/>, updated
/// by <see cref="Update"/> for each packet until the flow is judged. Sizes are transport payload
/// bytes (no link or IP header, so the link type and IP version do not show); times are relative.
/// Besides size and timing statistics it counts protocol framing that survives mid-flow (schema v2):
/// per direction, whether a payload's first bytes repeat the previous payload's, whether a 32-bit
/// counter field at a fixed offset advanced by a small step, length-prefix, TLS/DTLS record and
/// Tor-cell framing. Only equalities and differences between packets of the flow are kept, never
/// the values themselves, so nothing here names an address, port, TTL, SPI, index or other trait of
/// a particular capture.
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

    /// <summary>
    /// Per direction, the framing head of the last payload of at least <see cref="HeadBytes"/> bytes:
    /// payload bytes 0–3 in the low half (little-endian order) and bytes 6–9 in the high half.
    /// Compared with the next payload of that direction, never exported.
    /// Kept here, 8-byte aligned, so the whole state stays at 128 bytes.
    /// </summary>
    public ulong HeadToServer;
    public ulong HeadToClient;

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

    /// <summary>Set bits and bytes in the sampled payload prefixes (at most 4 × 64 bytes).</summary>
    public ushort SampledOnes;
    public ushort SampledBytes;


    /// <summary>Per direction, the length of the last payload whose head was stored.</summary>
    public ushort LastSizeToServer;
    public ushort LastSizeToClient;

    /// <summary>Payload packets inspected for framing (saturates at 255; all framing counts stop with it).</summary>
    public byte Framed;

    /// <summary>Framed payloads of ≥ <see cref="HeadBytes"/> bytes compared with the previous one of their direction.</summary>
    public byte Compared;

    /// <summary>Compared payloads whose first 1, 2 and 4 bytes equal the previous payload's of the direction.</summary>
    public byte SameByte1;
    public byte SameBytes2;
    public byte SameBytes4;

    /// <summary>
    /// Compared payloads whose 32-bit field advanced by 1–<see cref="MaxCounterStep"/> (low 16 bits)
    /// over the previous payload of the direction: big-endian at offset 4 (ESP sequence, OpenVPN
    /// packet-id over UDP), big-endian at offset 6 (OpenVPN over TCP, after the length prefix),
    /// little-endian at offset 8 (WireGuard transport counter).
    /// </summary>
    public byte CounterBe4;
    public byte CounterBe6;
    public byte CounterLe8;

    /// <summary>Compared payloads of the same length as the previous payload of the direction.</summary>
    public byte SameSize;

    /// <summary>Framed payloads whose first two bytes (big-endian) equal the payload length − 2.</summary>
    public byte LengthPrefixed;

    /// <summary>Framed payloads starting with a TLS record header (type 0x14–0x17, version 03 00–04).</summary>
    public byte TlsRecord;

    /// <summary>Framed payloads that are exactly one TLS record (record length == payload length − 5).</summary>
    public byte TlsAligned;

    /// <summary>Framed payloads whose first TLS application-data record (the second after a 1/n−1 split) holds whole Tor cells (<see cref="IsTorCellRecord"/>).</summary>
    public byte TorCells;

    /// <summary>Framed payloads that are one DTLS 1.0/1.2 record (type 0x14–0x17, version FE FF/FE FD, length == payload − 13).</summary>
    public byte DtlsRecord;

    /// <summary>Payload bytes needed for the head comparisons (up to offset 12).</summary>
    public const int HeadBytes = 12;

    /// <summary>Largest step of a counter field between consecutive payloads of a direction (losses, several records per segment).</summary>
    public const int MaxCounterStep = 64;

    /// <summary>Payload bytes of a Tor link cell (link protocol ≥ 4; 512 before).</summary>
    public const int TorCellBytes = 514;

    /// <summary>Payload bytes of a Tor link cell of link protocols 1–3.</summary>
    public const int OldTorCellBytes = 512;

    /// <summary>Most cells in one record counted as cells: 32 old cells are exactly 16,384 bytes, a full TLS record of any bulk sender.</summary>
    public const int MaxCellsPerRecord = 31;

    /// <summary>Longest first record of a 1/n−1 split (one byte, HMAC-SHA1, padding; with an explicit IV).</summary>
    public const int SplitRecordMax = 48;

    /// <summary>
    /// Whether a TLS application-data record of this length carries 1–31 whole Tor cells under a cipher suite
    /// Tor relays have used: 514-byte cells under AEAD (TLS 1.3: 17 bytes of overhead, TLS 1.2 GCM: 24), and
    /// 514- or 512-byte cells under CBC with HMAC-SHA1 (TLS 1.0; TLS 1.1/1.2 add a 16-byte IV), whose padding
    /// rounds the record up to 16 bytes; after a 1/n−1 split the record holds a byte less. 512-byte cells
    /// (link protocols 1–3) predate Tor's AEAD suites, so they are not looked for there.
    /// </summary>
    public static bool IsTorCellRecord(int record) =>
        IsWholeCells(record - 17) || IsWholeCells(record - 24)
        || (record % 16 == 0 && (IsPaddedCells(record - 20) || IsPaddedCells(record - 36)));

    private static bool IsWholeCells(int plaintext) =>
        plaintext > 0 && plaintext % TorCellBytes == 0 && plaintext / TorCellBytes <= MaxCellsPerRecord;

    /// <summary>Whether n cells (or n cells less one byte) plus 1–16 bytes of CBC padding make <paramref name="padded"/> bytes.</summary>
    private static bool IsPaddedCells(int padded) => IsPaddedCells(padded, TorCellBytes) || IsPaddedCells(padded, OldTorCellBytes);

    private static bool IsPaddedCells(int padded, int cell)
    {
        int cells = padded / cell;   // the most cells whose length less one byte leaves room for a padding byte
        return cells is >= 1 and <= MaxCellsPerRecord && cells * cell - 1 >= padded - 16;
    }

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
        Seen = (Seen & ~(SeenFlags.LastToServer | SeenFlags.LastToClient)) | seen | last;

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
                SampledOnes += (ushort)PopCount(sample);
                SampledBytes += (ushort)sample.Length;
            }

            if (Framed < byte.MaxValue)
            {
                UpdateFraming(payload, toServer);
            }
        }
    }

    /// <summary>The framing counts of one payload (non-empty, fewer than 255 seen). Constant work: reads at most 18 bytes (13, and a second TLS record header after a 1/n−1 split).</summary>
    private void UpdateFraming(ReadOnlySpan<byte> payload, bool toServer)
    {
        Framed++;
        int length = payload.Length;
        if (length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(payload) == length - 2)
        {
            LengthPrefixed++;
        }

        if (length >= 5 && payload[0] is >= 0x14 and <= 0x17 && payload[1] == 3 && payload[2] <= 4)
        {
            TlsRecord++;
            int record = BinaryPrimitives.ReadUInt16BigEndian(payload[3..]);
            if (record == length - 5)
            {
                TlsAligned++;
            }

            if (payload[0] == 0x17)
            {
                // TLS 1.0 CBC senders split each record 1/n−1 (a one-byte record first, against BEAST):
                // the cells are in the second record then.
                int next = 5 + record;
                if (record <= SplitRecordMax && length >= next + 5 && payload[next] == 0x17 && payload[next + 1] == 3)
                {
                    record = BinaryPrimitives.ReadUInt16BigEndian(payload[(next + 3)..]);
                }

                if (IsTorCellRecord(record))
                {
                    TorCells++;
                }
            }
        }

        if (length >= 13 && payload[0] is >= 0x14 and <= 0x17 && payload[1] == 0xFE && payload[2] is 0xFF or 0xFD
            && BinaryPrimitives.ReadUInt16BigEndian(payload[11..]) == length - 13)
        {
            DtlsRecord++;
        }

        if (length < HeadBytes)
        {
            return;
        }

        ulong head = BinaryPrimitives.ReadUInt32LittleEndian(payload) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(payload[6..]) << 32);
        SeenFlags flag = toServer ? SeenFlags.HeadToServer : SeenFlags.HeadToClient;
        ref ulong previous = ref toServer ? ref HeadToServer : ref HeadToClient;
        ref ushort lastSize = ref toServer ? ref LastSizeToServer : ref LastSizeToClient;
        ushort size = (ushort)Math.Min(length, ushort.MaxValue);
        if ((Seen & flag) != 0)
        {
            Compared++;
            ulong same = head ^ previous;
            if ((same & 0xFF) == 0)
            {
                SameByte1++;
                if ((same & 0xFFFF) == 0)
                {
                    SameBytes2++;
                    if ((same & 0xFFFF_FFFF) == 0)
                    {
                        SameBytes4++;
                    }
                }
            }

            // Bytes 6-7 (big-endian) are the low half of a BE32 at offset 4; bytes 8-9 that of a BE32 at 6 and, little-endian, of an LE32 at 8.
            uint high = (uint)(head >> 32);
            uint previousHigh = (uint)(previous >> 32);
            if (SmallStep(Swap16((ushort)high), Swap16((ushort)previousHigh)))
            {
                CounterBe4++;
            }

            if (SmallStep(Swap16((ushort)(high >> 16)), Swap16((ushort)(previousHigh >> 16))))
            {
                CounterBe6++;
            }

            if (SmallStep((ushort)(high >> 16), (ushort)(previousHigh >> 16)))
            {
                CounterLe8++;
            }

            if (size == lastSize)
            {
                SameSize++;
            }
        }

        previous = head;
        lastSize = size;
        Seen |= flag;
    }

    private static ushort Swap16(ushort value) => (ushort)((value >> 8) | (value << 8));

    private static bool SmallStep(ushort current, ushort previous) => (ushort)(current - previous) is >= 1 and <= MaxCounterStep;

    private static int PopCount(ReadOnlySpan<byte> bytes)
    {
        int ones = 0;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            ones += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
        }

        for (; i < bytes.Length; i++)
        {
            ones += BitOperations.PopCount(bytes[i]);
        }

        return ones;
    }
}
