using TrafficSentinel.TestSupport;
using Xunit.Abstractions;

namespace TrafficSentinel.Capture.Tests;

/// <summary>
/// Every capture of the shared nDPI corpus reads to its end with the packet count of files.csv
/// (capinfos's count; checked equal with <c>capinfos -c</c> for all 169 files when this was
/// written), or fails with a one-line reason; no exception escapes.
/// </summary>
public sealed class NdpiCorpusTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void EveryCapture_ReadsToTheEnd_WithTheIndexedPacketCount()
    {
        string dir = TestEnvironment.RequireNdpiCaptures();
        List<NdpiFile> files = NdpiFile.ReadIndex(dir);
        Assert.NotEmpty(files);

        List<string> failures = [];
        long total = 0;
        foreach (NdpiFile file in files)
        {
            string path = Path.Combine(dir, file.Name);
            try
            {
                using CaptureFileSource source = CaptureFileSource.Open(path);
                ReadStatus status;
                long bytes = 0;
                while ((status = source.ReadNext(out RawPacket packet)) == ReadStatus.Packet)
                {
                    bytes += packet.Data.Length;
                }

                total += source.PacketsRead;
                if (status != ReadStatus.EndOfCapture)
                {
                    failures.Add(CaptureErrors.Describe(source));
                }
                else if (source.PacketsRead != file.Packets)
                {
                    failures.Add($"{file.Name}: read {source.PacketsRead} packets, files.csv says {file.Packets}");
                }
                else if (file.ExpectedDlt is { } dlt && dlt != source.LinkType)
                {
                    failures.Add($"{file.Name}: link type {source.LinkType}, files.csv says {file.LinkType} ({dlt})");
                }
            }
            catch (CaptureException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                failures.Add(e.Message);
            }
        }

        output.WriteLine($"{files.Count} files, {total} packets read");
        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
