namespace TrafficSentinel.Capture;

/// <summary>Turns the paths a user typed into the capture files to replay.</summary>
public static class CaptureInputs
{
    /// <summary>The file name endings a folder contributes (compared case-insensitively).</summary>
    public static IReadOnlyList<string> CaptureExtensions { get; } = [".pcap", ".pcapng", ".cap"];

    /// <summary>
    /// Files and folders, in the order given. A file is taken as it is (whatever its name); a folder
    /// contributes its own <c>*.pcap</c>, <c>*.pcapng</c> and <c>*.cap</c> files (not those of
    /// sub-folders), sorted ordinally by name. Throws <see cref="CaptureException"/> with one line for
    /// a path that doesn't exist or a folder that holds no capture file.
    /// </summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        List<string> files = [];
        foreach (string path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
                continue;
            }

            if (!Directory.Exists(path))
            {
                throw new CaptureException(path + ": no such file or folder");
            }

            List<string> found = [];
            foreach (string file in Directory.EnumerateFiles(path))
            {
                if (IsCaptureFileName(file))
                {
                    found.Add(file);
                }
            }

            if (found.Count == 0)
            {
                throw new CaptureException(path + ": folder holds no .pcap, .pcapng or .cap file");
            }

            found.Sort(StringComparer.Ordinal);
            files.AddRange(found);
        }

        return files;
    }

    private static bool IsCaptureFileName(string path)
    {
        string extension = Path.GetExtension(path);
        foreach (string candidate in CaptureExtensions)
        {
            if (string.Equals(extension, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
