using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSentinel.Capture.Tests;

/// <summary>A packet copied out of a source, for comparing two ways of reading the same file.</summary>
internal sealed record PacketRecord(long Number, long TimestampMicros, int WireLength, byte[] Data)
{
    /// <summary>Reads <paramref name="source"/> to its end (or error) with our pointer reader.</summary>
    public static (List<PacketRecord> Packets, ReadStatus Final) ReadAll(IPacketSource source)
    {
        List<PacketRecord> packets = [];
        ReadStatus status;
        while ((status = source.ReadNext(out RawPacket packet)) == ReadStatus.Packet)
        {
            packets.Add(new PacketRecord(packet.Number, packet.TimestampMicros, packet.WireLength, packet.Data.ToArray()));
        }

        return (packets, status);
    }

    /// <summary>Reads <paramref name="path"/> with SharpPcap's own (allocating) GetNextPacket, at nanosecond precision.</summary>
    public static (List<PacketRecord> Packets, GetPacketStatus Final) ReadAllWithSharpPcap(string path)
    {
        using CaptureFileReaderDevice device = new(path);
        device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        List<PacketRecord> packets = [];
        GetPacketStatus status;
        while ((status = device.GetNextPacket(out PacketCapture capture)) == GetPacketStatus.PacketRead)
        {
            PcapHeader header = (PcapHeader)capture.Header;
            long micros = checked(((long)header.Timeval.Seconds * 1_000_000) + (long)header.Timeval.MicroSeconds);
            packets.Add(new PacketRecord(packets.Count + 1, micros, (int)header.PacketLength, capture.Data.ToArray()));
        }

        return (packets, status);
    }

    public bool SameAs(PacketRecord other) =>
        Number == other.Number && TimestampMicros == other.TimestampMicros && WireLength == other.WireLength && Data.AsSpan().SequenceEqual(other.Data);
}
