using Xunit;

namespace TrafficSentinel.TestSupport;

/// <summary>
/// Where test data lives and whether a test may run here. Tests that need <c>../shared</c> or root
/// run whenever those are present; under <c>CI=true</c> their absence fails the test, elsewhere it
/// is a visible skip.
/// </summary>
public static class TestEnvironment
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    /// <summary>The checkout's top folder (the one holding TrafficSentinel.sln).</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>The project's own captures folder.</summary>
    public static string ProjectCaptures => Path.Combine(RepoRoot, "captures");

    /// <summary><c>../shared</c> beside the checkout, or TS_SHARED_DIR when set.</summary>
    public static string SharedDir =>
        Environment.GetEnvironmentVariable("TS_SHARED_DIR") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string NdpiCaptures => Path.Combine(SharedDir, "captures", "ndpi");

    /// <summary>Returns the nDPI corpus folder, or skips (fails under CI) when it is missing.</summary>
    public static string RequireNdpiCaptures()
    {
        string dir = NdpiCaptures;
        Require(File.Exists(Path.Combine(dir, "labels.csv")), $"the shared nDPI corpus is not at {dir}");
        return dir;
    }

    /// <summary>Skips (fails under CI) unless the tests run as root.</summary>
    public static void RequireRoot() => Require(IsRoot, "this test needs root (network namespaces)");

    /// <summary>Skips the test with <paramref name="why"/>, or fails it under CI=true.</summary>
    public static void Require(bool condition, string why)
    {
        if (condition)
        {
            return;
        }

        if (IsCi)
        {
            Assert.Fail($"required under CI=true: {why}");
        }

        Skip.If(true, why);
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "TrafficSentinel.sln")))
            {
                return dir;
            }

            dir = Path.GetDirectoryName(dir);
        }

        throw new InvalidOperationException("TrafficSentinel.sln not found above " + AppContext.BaseDirectory);
    }

    private static uint GetEuid()
    {
        try
        {
            string status = File.ReadAllText("/proc/self/status");
            foreach (string line in status.Split('\n'))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return uint.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return uint.MaxValue;
    }
}
