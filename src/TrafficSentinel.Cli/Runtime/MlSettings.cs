using System.CommandLine;
using System.Globalization;
using TrafficSentinel.Classifier;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>
/// The flow classifier's options (<c>--no-ml</c>, <c>--model</c>, <c>--ml-threshold</c>,
/// <c>--ml-packets</c>, <c>--ml-inline</c>) and the loading of its model for one run.
/// </summary>
internal sealed class MlSettings
{
    public const string DefaultModelRelativePath = "models/flow-classifier.zip";

    public Option<bool> NoMl { get; } = new("--no-ml") { Description = "Do not run the flow classifier (the fallback for flows no detector decides)." };

    public Option<string?> Model { get; } = new("--model")
    {
        Description = "The flow classifier's model (default: " + DefaultModelRelativePath + " of the checkout, when present).",
        HelpName = "ZIP",
    };

    public Option<float?> Threshold { get; } = new("--ml-threshold")
    {
        Description = "Tunnel probability (1 - p(benign)) from which the classifier reports a flow (default: the model's).",
    };

    public Option<int?> Packets { get; } = new("--ml-packets")
    {
        Description = "Packets after which an undecided flow is judged, if it has not ended before (default: the model's, 32).",
    };

    public Option<bool> Inline { get; } = new("--ml-inline")
    {
        Description = "Judge flows on the packet thread instead of a classifier thread of their own (one per packet thread); the same alerts, classifier alerts come out sooner.",
    };

    public MlSettings()
    {
        Threshold.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<float?>() is float t && (t <= 0 || t > 1))
            {
                r.AddError("--ml-threshold must be in (0, 1], not " + t.ToString(CultureInfo.InvariantCulture) + ".");
            }
        });
        Packets.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int n && (n < 1 || n > 1_000_000))
            {
                r.AddError("--ml-packets must be between 1 and 1000000.");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(NoMl);
        command.Options.Add(Model);
        command.Options.Add(Threshold);
        command.Options.Add(Packets);
        command.Options.Add(Inline);
    }

    /// <summary>
    /// Adds the classifier to <paramref name="settings"/>: the <c>--model</c> given, else (when
    /// <paramref name="useDefaultModel"/>) the checkout's default model if it exists. False, with the
    /// reason on stderr, when a model exists but cannot be used (another feature schema, say).
    /// </summary>
    public bool TryApply(ParseResult parsed, bool useDefaultModel, CliConsole console, ref SensorSettings settings)
    {
        if (parsed.GetValue(NoMl))
        {
            return true;
        }

        string? path = parsed.GetValue(Model);
        if (path is null && useDefaultModel)
        {
            path = FindDefaultModel();
        }

        if (path is null)
        {
            return true;
        }

        try
        {
            FlowClassifierModel model = LoadCached(path);
            float? threshold = parsed.GetValue(Threshold);
            int? packets = parsed.GetValue(Packets);
            MlFlowClassifier classifier = model.CreateClassifier(threshold, packets);
            settings = settings with
            {
                Classifier = classifier,
                NewClassifier = () => model.CreateClassifier(threshold, packets),
                ClassifierThread = !parsed.GetValue(Inline),
                ClassifierSource = path + " (schema v" + model.Info.FeatureSchemaVersion.ToString(CultureInfo.InvariantCulture)
                    + ", threshold " + classifier.Threshold.ToString("0.###", CultureInfo.InvariantCulture) + ")",
            };
            return true;
        }
        catch (Exception e) when (e is ModelSchemaException or IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine("error: flow classifier: " + e.Message);
            return false;
        }
    }

    /// <summary>
    /// Loads a model once per process (per path and modification time): runs in one process (tests,
    /// evaluate's two passes) then share the thread-safe transformers and make only their own
    /// prediction engines.
    /// </summary>
    private static FlowClassifierModel LoadCached(string path)
    {
        string full = Path.GetFullPath(path);
        DateTime stamp = File.GetLastWriteTimeUtc(full);
        lock (s_cache)
        {
            if (s_cache.TryGetValue(full, out (DateTime Stamp, FlowClassifierModel Model) hit) && hit.Stamp == stamp)
            {
                return hit.Model;
            }
        }

        FlowClassifierModel model = FlowClassifierModel.Load(path);
        lock (s_cache)
        {
            s_cache[full] = (stamp, model);
        }

        return model;
    }

    private static readonly Dictionary<string, (DateTime Stamp, FlowClassifierModel Model)> s_cache = new(StringComparer.Ordinal);

    /// <summary>The first <c>models/flow-classifier.zip</c> in the executable's folder or a folder above it (the checkout).</summary>
    public static string? FindDefaultModel()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, DefaultModelRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
