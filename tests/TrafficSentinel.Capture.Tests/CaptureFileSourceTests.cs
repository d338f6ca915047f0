using System.Diagnostics;
using SharpPcap;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Capture.Tests;

public sealed class CaptureFileSourceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadNext_ClassicPcap_GivesTheWrittenPackets(bool nanoseconds)
    {
        using TempDirectory dir = new();
        List<TestPacket> written = PcapWriter.MakePackets(300, nanoseconds);
        string path = dir.Write("a.pcap", PcapWriter.Pcap(1, nanoseconds, written));

        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> read, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(ReadStatus.EndOfCapture, final);
        Assert.Equal(1, source.LinkType);
        Assert.Equal(path, source.Name);
        Assert.Null(source.LastError);
        Assert.Equal(written.Count, read.Count);
        Assert.Equal(written.Count, source.PacketsRead);
        for (int i = 0; i < written.Count; i++)
        {
            TestPacket w = written[i];
            long micros = (w.Seconds * 1_000_000) + (nanoseconds ? w.Fraction / 1000 : w.Fraction);
            Assert.True(
                new PacketRecord(i + 1, micros, w.WireLength, w.Data).SameAs(read[i]),
                $"packet {i + 1} differs: expected {micros} µs, {w.WireLength}/{w.Data.Length} B, got {read[i].TimestampMicros} µs, {read[i].WireLength}/{read[i].Data.Length} B");
        }
    }

    [Theory]
    [InlineData("us.pcap", false, 0)]
    [InlineData("ns.pcap", true, 0)]
    [InlineData("us.pcapng", false, 6)]
    [InlineData("ns.pcapng", true, 9)]
    public void ReadNext_WrittenFiles_MatchSharpPcapGetNextPacket(string name, bool nanoseconds, int pcapNgExponent)
    {
        using TempDirectory dir = new();
        List<TestPacket> packets = PcapWriter.MakePackets(500, nanoseconds, seed: name.Length);
        byte[] bytes = pcapNgExponent == 0
            ? PcapWriter.Pcap(1, nanoseconds, packets)
            : PcapWriter.PcapNg([(1, pcapNgExponent)], packets);
        string path = dir.Write(name, bytes);

        AssertSameAsSharpPcap(path, expectedCount: 500);
    }

    [Theory]
    [InlineData("big.pcap", 0)]
    [InlineData("big.pcapng", 9)]
    public void ReadNext_FileSeveralTimesTheReadBuffer_ReadsThroughItAndMatchesSharpPcap(string name, int pcapNgExponent)
    {
        // About 3 MB: the 1 MiB buffer given to libpcap's FILE refills several times, and the file
        // header read before the buffer was swapped must not be lost or read twice.
        using TempDirectory dir = new();
        List<TestPacket> packets = PcapWriter.MakePackets(4000, nanoseconds: true, seed: 7);
        byte[] bytes = pcapNgExponent == 0 ? PcapWriter.Pcap(1, true, packets) : PcapWriter.PcapNg([(1, pcapNgExponent)], packets);
        Assert.True(bytes.Length > 2 * CaptureFileSource.ReadBufferBytes);
        string path = dir.Write(name, bytes);

        using (CaptureFileSource source = CaptureFileSource.Open(path))
        {
            Assert.True(source.LargeReadBuffer);
        }

        AssertSameAsSharpPcap(path, expectedCount: 4000);
    }

    [SkippableTheory]
    [InlineData("openvpn_nohmac.pcapng")]
    [InlineData("443-opvn.pcap")]
    [InlineData("6in4tunnel.pcap")]
    [InlineData("esp.pcapng")]
    [InlineData("tls_ech.pcapng")]
    public void ReadNext_NdpiCaptures_MatchSharpPcapGetNextPacket(string file)
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        AssertSameAsSharpPcap(Path.Combine(dir, file), expectedCount: null);
    }

    [SkippableFact]
    public void ReadNext_NdpiCapturesOfEveryLinkType_MatchSharpPcapGetNextPacket()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        Dictionary<string, string> firstPerLinkType = [];
        foreach (NdpiFile file in NdpiFile.ReadIndex(dir))
        {
            firstPerLinkType.TryAdd(file.LinkType, file.Name);
        }

        Assert.True(firstPerLinkType.Count >= 4, "expected Ethernet, SLL, raw and null captures in the corpus");
        foreach (string name in firstPerLinkType.Values)
        {
            AssertSameAsSharpPcap(Path.Combine(dir, name), expectedCount: null);
        }
    }

    [SkippableFact]
    public void ReadNext_EditcapConversions_AllGiveTheSamePackets()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        string? editcap = FindProgram("editcap");
        Skip.If(editcap is null, "editcap (tshark) is not installed; the written-file tests cover ns pcap and pcapng");

        using TempDirectory temp = new();
        string original = Path.Combine(dir, "443-opvn.pcap");
        string ns = Path.Combine(temp.Path, "ns.pcap");
        string ng = Path.Combine(temp.Path, "ng.pcapng");
        RunProgram(editcap!, "-F", "nsecpcap", original, ns);
        RunProgram(editcap!, "-F", "pcapng", original, ng);

        using CaptureFileSource a = CaptureFileSource.Open(original);
        using CaptureFileSource b = CaptureFileSource.Open(ns);
        using CaptureFileSource c = CaptureFileSource.Open(ng);
        List<PacketRecord> expected = PacketRecord.ReadAll(a).Packets;
        Assert.NotEmpty(expected);
        foreach (CaptureFileSource other in new[] { b, c })
        {
            (List<PacketRecord> packets, ReadStatus final) = PacketRecord.ReadAll(other);
            Assert.Equal(ReadStatus.EndOfCapture, final);
            Assert.Equal(expected.Count, packets.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].SameAs(packets[i]), other.Name + ": packet " + (i + 1) + " differs");
            }

            AssertSameAsSharpPcap(other.Name, expected.Count);
        }
    }

    [Theory]
    [InlineData(101, 12)] // LINKTYPE_RAW comes back as DLT_RAW on Linux
    [InlineData(113, 113)]
    [InlineData(276, 276)]
    [InlineData(0, 0)]
    [InlineData(228, 228)]
    public void LinkType_IsTheDltValue(int fileLinkType, int expectedDlt)
    {
        using TempDirectory dir = new();
        string path = dir.Write("l.pcap", PcapWriter.Pcap(fileLinkType, false, PcapWriter.MakePackets(3, false)));

        using CaptureFileSource source = CaptureFileSource.Open(path);

        Assert.Equal(expectedDlt, source.LinkType);
    }

    [Theory]
    [InlineData(7, 10)] // cut inside the 7th packet's 16-byte record header
    [InlineData(7, 16 + 30)] // cut inside the 7th packet's bytes
    [InlineData(1, 16 + 99)] // the very first packet is one byte short
    public void ReadNext_TruncatedPcap_ReportsErrorAfterTheGoodPackets(int brokenPacket, int keepBytesOfIt)
    {
        using TempDirectory dir = new();
        List<TestPacket> packets = PcapWriter.MakePackets(10, false);
        packets[brokenPacket - 1] = packets[brokenPacket - 1] with { Data = new byte[100], WireLength = 100 };
        byte[] whole = PcapWriter.Pcap(1, false, packets);
        int offset = 24;
        for (int i = 0; i < brokenPacket - 1; i++)
        {
            offset += 16 + packets[i].Data.Length;
        }

        string path = dir.Write("cut.pcap", whole[..(offset + keepBytesOfIt)]);
        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> read, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(ReadStatus.Error, final);
        Assert.Equal(brokenPacket - 1, read.Count);
        Assert.Equal(brokenPacket - 1, source.PacketsRead);
        Assert.NotNull(source.LastError);
        Assert.StartsWith("truncated dump file", source.LastError, StringComparison.Ordinal);
        Assert.Equal(path + ": broken after packet " + (brokenPacket - 1) + ": " + source.LastError, CaptureErrors.Describe(source));
        Assert.DoesNotContain('\n', CaptureErrors.Describe(source));

        // The error is sticky and nothing throws.
        Assert.Equal(ReadStatus.Error, source.ReadNext(out _));
        Assert.Equal(brokenPacket - 1, source.PacketsRead);
    }

    [Fact]
    public void ReadNext_TruncatedPcap_MatchesMeasuredLibpcapMessage()
    {
        using TempDirectory dir = new();
        List<TestPacket> packets = PcapWriter.MakePackets(5, false);
        packets[4] = packets[4] with { Data = new byte[42], WireLength = 42 };
        byte[] whole = PcapWriter.Pcap(1, false, packets);
        string path = dir.Write("cut.pcap", whole[..^13]);

        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> read, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(ReadStatus.Error, final);
        Assert.Equal(4, read.Count);
        Assert.Equal("truncated dump file; tried to read 42 captured bytes, only got 29", source.LastError);
    }

    [Fact]
    public void ReadNext_TruncatedPcapNg_ReportsErrorAfterTheGoodPackets()
    {
        using TempDirectory dir = new();
        byte[] whole = PcapWriter.PcapNg([(1, 6)], PcapWriter.MakePackets(20, false));
        string path = dir.Write("cut.pcapng", whole[..^30]);

        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> read, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(ReadStatus.Error, final);
        Assert.Equal(19, read.Count);
        Assert.False(string.IsNullOrWhiteSpace(source.LastError));
        Assert.StartsWith(path + ": broken after packet 19: ", CaptureErrors.Describe(source), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNext_PcapNgWithTwoLinkTypes_StopsWithAClearError()
    {
        using TempDirectory dir = new();
        List<TestPacket> packets = PcapWriter.MakePackets(10, false, interfaces: 2);
        Assert.Equal(5, packets.Count(p => p.Interface == 0));
        string path = dir.Write("mixed.pcapng", PcapWriter.PcapNg([(1, 6), (113, 6)], packets));

        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> read, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(ReadStatus.Error, final);
        Assert.Equal(5, read.Count);
        Assert.Contains("different from the type of the first interface", source.LastError, StringComparison.Ordinal);
        string line = CaptureErrors.Describe(source);
        Assert.StartsWith(path + ": broken after packet 5: the pcapng file has interfaces with different link types", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNext_AfterEnd_KeepsSayingEndOfCapture()
    {
        using TempDirectory dir = new();
        string path = dir.Write("a.pcap", PcapWriter.Pcap(1, false, PcapWriter.MakePackets(2, false)));
        using CaptureFileSource source = CaptureFileSource.Open(path);

        Assert.Equal(ReadStatus.Packet, source.ReadNext(out RawPacket first));
        Assert.Equal(1, first.Number);
        Assert.Equal(0, first.Data.Length);
        Assert.Equal(ReadStatus.Packet, source.ReadNext(out RawPacket second));
        Assert.Equal(2, second.Number);
        Assert.Equal(ReadStatus.EndOfCapture, source.ReadNext(out _));
        Assert.Equal(ReadStatus.EndOfCapture, source.ReadNext(out _));
        Assert.Equal(2, source.PacketsRead);
        Assert.Null(source.GetStatistics());
    }

    [Fact]
    public void ReadNext_HeaderOnlyFile_EndsAtOnce()
    {
        using TempDirectory dir = new();
        string path = dir.Write("empty.pcap", PcapWriter.Pcap(1, false, []));
        using CaptureFileSource source = CaptureFileSource.Open(path);

        Assert.Equal(ReadStatus.EndOfCapture, source.ReadNext(out _));
        Assert.Equal(0, source.PacketsRead);
    }

    [Fact]
    public void ReadNext_AfterDispose_Throws()
    {
        using TempDirectory dir = new();
        string path = dir.Write("a.pcap", PcapWriter.Pcap(1, false, PcapWriter.MakePackets(2, false)));
        CaptureFileSource source = CaptureFileSource.Open(path);
        source.Dispose();
        source.Dispose();

        Assert.Throws<ObjectDisposedException>(() => source.ReadNext(out _));
    }

    [Fact]
    public void Open_GarbageFile_ThrowsOneLineNamingTheFile()
    {
        using TempDirectory dir = new();
        string path = dir.Write("notes.txt", "These are my notes, not packets.\nSecond line.\n"u8.ToArray());

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(path));

        Assert.Equal(path + ": not a capture file (unknown file format)", e.Message);
    }

    [Fact]
    public void Open_EmptyFile_ThrowsOneLine()
    {
        using TempDirectory dir = new();
        string path = dir.Write("zero.pcap", []);

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(path));

        Assert.Equal(path + ": empty file, not a capture file", e.Message);
    }

    [Fact]
    public void Open_FileShorterThanAPcapHeader_ThrowsOneLine()
    {
        using TempDirectory dir = new();
        byte[] header = PcapWriter.Pcap(1, false, []);
        string path = dir.Write("short.pcap", header[..10]);

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(path));

        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Open_MissingFile_ThrowsOneLine()
    {
        using TempDirectory dir = new();
        string path = Path.Combine(dir.Path, "nope.pcap");

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(path));

        Assert.Equal(path + ": no such file", e.Message);
    }

    [Fact]
    public void Open_Folder_ThrowsOneLine()
    {
        using TempDirectory dir = new();

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(dir.Path));

        Assert.Equal(dir.Path + ": is a folder, not a capture file", e.Message);
    }

    [SkippableFact]
    public void Open_UnreadableFile_ThrowsOneLineWithoutRepeatingTheName()
    {
        using TempDirectory dir = new();
        string path = dir.Write("secret.pcap", PcapWriter.Pcap(1, false, PcapWriter.MakePackets(2, false)));
        Skip.If(TestEnvironment.IsRoot || !OperatingSystem.IsLinux(), "needs a non-root user on Linux (root reads any file)");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, UnixFileMode.None);
        }

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureFileSource.Open(path));

        Assert.Equal(path + ": Permission denied", e.Message);
    }

    private static void AssertSameAsSharpPcap(string path, int? expectedCount)
    {
        (List<PacketRecord> reference, GetPacketStatus referenceFinal) = PacketRecord.ReadAllWithSharpPcap(path);
        using CaptureFileSource source = CaptureFileSource.Open(path);
        (List<PacketRecord> ours, ReadStatus final) = PacketRecord.ReadAll(source);

        Assert.Equal(GetPacketStatus.NoRemainingPackets, referenceFinal);
        Assert.Equal(ReadStatus.EndOfCapture, final);
        if (expectedCount is { } count)
        {
            Assert.Equal(count, ours.Count);
        }

        Assert.Equal(reference.Count, ours.Count);
        for (int i = 0; i < reference.Count; i++)
        {
            Assert.True(reference[i].SameAs(ours[i]), $"{path}: packet {i + 1} differs from GetNextPacket");
        }
    }

    private static string? FindProgram(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void RunProgram(string program, params string[] arguments)
    {
        ProcessStartInfo start = new(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, program + " failed: " + stderr);
    }
}
