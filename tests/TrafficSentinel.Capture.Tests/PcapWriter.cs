using System.Buffers.Binary;

namespace TrafficSentinel.Capture.Tests;

/// <summary>One packet to write: timestamp in the file's units, captured bytes, length on the wire.</summary>
internal sealed record TestPacket(long Seconds, long Fraction, byte[] Data, int WireLength, int Interface = 0);

/// <summary>
/// Writes small capture files byte by byte, so tests need no capture tool: classic pcap in
/// micro- or nanosecond flavour (little-endian), and pcapng with one or more interfaces.
/// </summary>
internal static class PcapWriter
{
    public const uint MicrosecondMagic = 0xA1B2C3D4;
    public const uint NanosecondMagic = 0xA1B23C4D;

    /// <summary>A classic pcap file; <see cref="TestPacket.Fraction"/> is µs or ns per <paramref name="nanoseconds"/>.</summary>
    public static byte[] Pcap(int linkType, bool nanoseconds, IEnumerable<TestPacket> packets, int snaplen = 65535)
    {
        using MemoryStream stream = new();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanoseconds ? NanosecondMagic : MicrosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], snaplen);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], linkType);
        stream.Write(header);

        Span<byte> record = stackalloc byte[16];
        foreach (TestPacket packet in packets)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)packet.Seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)packet.Fraction);
            BinaryPrimitives.WriteInt32LittleEndian(record[8..], packet.Data.Length);
            BinaryPrimitives.WriteInt32LittleEndian(record[12..], packet.WireLength);
            stream.Write(record);
            stream.Write(packet.Data);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// A pcapng file: a section header, then the interfaces (link type and if_tsresol exponent,
    /// 6 = µs, 9 = ns) each written just before the first packet that uses it, then enhanced packet
    /// blocks. <see cref="TestPacket.Fraction"/> is in the packet's interface's units.
    /// </summary>
    public static byte[] PcapNg(IReadOnlyList<(int LinkType, int TsResolExponent)> interfaces, IEnumerable<TestPacket> packets, int snaplen = 65535)
    {
        using MemoryStream stream = new();
        WriteBlock(stream, 0x0A0D0D0A, body =>
        {
            body.Write(U32(0x1A2B3C4D));
            body.Write(U16(1));
            body.Write(U16(0));
            body.Write(BitConverter.GetBytes(-1L));
        });

        int written = 0;
        foreach (TestPacket packet in packets)
        {
            while (written <= packet.Interface)
            {
                (int linkType, int exponent) = interfaces[written];
                WriteBlock(stream, 1, body =>
                {
                    body.Write(U16((ushort)linkType));
                    body.Write(U16(0));
                    body.Write(U32((uint)snaplen));
                    body.Write(U16(9)); // if_tsresol
                    body.Write(U16(1));
                    body.Write([(byte)exponent, 0, 0, 0]);
                    body.Write(U16(0)); // opt_endofopt
                    body.Write(U16(0));
                });
                written++;
            }

            long units = UnitsPerSecond(interfaces[packet.Interface].TsResolExponent);
            ulong timestamp = (ulong)((packet.Seconds * units) + packet.Fraction);
            WriteBlock(stream, 6, body =>
            {
                body.Write(U32((uint)packet.Interface));
                body.Write(U32((uint)(timestamp >> 32)));
                body.Write(U32((uint)timestamp));
                body.Write(U32((uint)packet.Data.Length));
                body.Write(U32((uint)packet.WireLength));
                body.Write(packet.Data);
                body.Write(new byte[Pad(packet.Data.Length)]);
            });
        }

        return stream.ToArray();

        static long UnitsPerSecond(int e) => e == 9 ? 1_000_000_000L : 1_000_000L;
    }

    /// <summary>Deterministic packets: lengths cycle through 0..1514, every fifth is snapped.</summary>
    public static List<TestPacket> MakePackets(int count, bool nanoseconds, int seed = 1, int interfaces = 1)
    {
        Random random = new(seed);
        List<TestPacket> packets = new(count);
        long seconds = 1_700_000_000;
        for (int i = 0; i < count; i++)
        {
            int length = i == 0 ? 0 : random.Next(14, 1515);
            byte[] data = new byte[length];
            random.NextBytes(data);
            int wire = i % 5 == 4 ? length + random.Next(1, 9000) : length;
            seconds += random.Next(0, 3);
            long fraction = nanoseconds ? random.Next(0, 1_000_000_000) : random.Next(0, 1_000_000);
            packets.Add(new TestPacket(seconds, fraction, data, wire, i * interfaces / Math.Max(count, 1)));
        }

        return packets;
    }

    private static void WriteBlock(Stream stream, uint type, Action<MemoryStream> writeBody)
    {
        using MemoryStream body = new();
        writeBody(body);
        uint total = (uint)(12 + body.Length);
        stream.Write(U32(type));
        stream.Write(U32(total));
        body.Position = 0;
        body.CopyTo(stream);
        stream.Write(U32(total));
    }

    private static int Pad(int length) => (4 - (length % 4)) % 4;

    private static byte[] U32(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U16(ushort value)
    {
        byte[] bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }
}

/// <summary>A fresh folder under the temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("ts-capture-tests-").FullName;
    }

    public string Path { get; }

    public string Write(string name, byte[] bytes)
    {
        string file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
