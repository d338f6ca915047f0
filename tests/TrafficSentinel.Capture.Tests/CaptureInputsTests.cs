namespace TrafficSentinel.Capture.Tests;

public sealed class CaptureInputsTests
{
    [Fact]
    public void Expand_FilesAndFolders_KeepsArgumentOrderAndSortsFoldersOrdinally()
    {
        using TempDirectory dir = new();
        string first = dir.Write("first.bin", [1]);
        string b = dir.Write("caps/b.pcap", [1]);
        string a = dir.Write("caps/a.pcapng", [1]);
        string upper = dir.Write("caps/Z.CAP", [1]);
        string underscore = dir.Write("caps/_x.pcap", [1]);
        dir.Write("caps/notes.txt", [1]);
        dir.Write("caps/sub/deeper.pcap", [1]);
        string last = dir.Write("last.pcap", [1]);

        IReadOnlyList<string> files = CaptureInputs.Expand([first, Path.Combine(dir.Path, "caps"), last]);

        // Ordinal: upper-case before '_' before lower-case; sub-folders are not entered.
        Assert.Equal([first, upper, underscore, a, b, last], files);
    }

    [Fact]
    public void Expand_SameFileTwice_IsKeptTwice()
    {
        using TempDirectory dir = new();
        string file = dir.Write("a.pcap", [1]);

        Assert.Equal([file, file], CaptureInputs.Expand([file, file]));
    }

    [Fact]
    public void Expand_MissingPath_ThrowsOneLineNamingIt()
    {
        using TempDirectory dir = new();
        string file = dir.Write("a.pcap", [1]);
        string missing = Path.Combine(dir.Path, "missing.pcap");

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureInputs.Expand([file, missing]));

        Assert.Equal(missing + ": no such file or folder", e.Message);
    }

    [Fact]
    public void Expand_FolderWithoutCaptures_ThrowsOneLine()
    {
        using TempDirectory dir = new();
        dir.Write("empty/readme.txt", [1]);
        string folder = Path.Combine(dir.Path, "empty");

        CaptureException e = Assert.Throws<CaptureException>(() => CaptureInputs.Expand([folder]));

        Assert.Equal(folder + ": folder holds no .pcap, .pcapng or .cap file", e.Message);
    }

    [Fact]
    public void Expand_NoPaths_GivesNothing()
    {
        Assert.Empty(CaptureInputs.Expand([]));
    }
}
