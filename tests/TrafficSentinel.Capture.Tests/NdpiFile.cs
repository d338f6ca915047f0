namespace TrafficSentinel.Capture.Tests;

/// <summary>One row of the nDPI corpus's files.csv: file name, packet count (capinfos's) and link type name.</summary>
internal sealed record NdpiFile(string Name, long Packets, string LinkType)
{
    public static List<NdpiFile> ReadIndex(string corpusDir)
    {
        string[] lines = File.ReadAllLines(Path.Combine(corpusDir, "files.csv"));
        string[] header = lines[0].Split(',');
        int file = Array.IndexOf(header, "file");
        int packets = Array.IndexOf(header, "packets");
        int linkType = Array.IndexOf(header, "link_type");
        Assert.True(file >= 0 && packets >= 0 && linkType >= 0, "files.csv lacks the file, packets or link_type column");

        List<NdpiFile> rows = [];
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            string[] cells = line.Split(',');
            rows.Add(new NdpiFile(cells[file], long.Parse(cells[packets], System.Globalization.CultureInfo.InvariantCulture), cells[linkType]));
        }

        return rows;
    }

    /// <summary>The DLT value libpcap reports on Linux for files.csv's link type name, or null if unknown.</summary>
    public int? ExpectedDlt => LinkType switch
    {
        "ether" => 1,
        "linux-sll" => 113,
        "linux-sll2" => 276,
        "rawip" => 12,
        "null" => 0,
        "loop" => 108,
        _ => null,
    };
}
