using System.Globalization;
using TrafficSentinel.Classifier;

namespace TrafficSentinel.Cli.Training;

/// <summary>Examples with their class probabilities, judged by the live decision rule at one threshold.</summary>
internal sealed class ClassifierReport
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private readonly IReadOnlyList<string> _classes;
    private readonly int _benign;

    /// <summary>Judges <paramref name="examples"/> by their <paramref name="scores"/>; flows of fewer than <paramref name="minPackets"/> packets are not judged (benign).</summary>
    public ClassifierReport(IReadOnlyList<Example> examples, IReadOnlyList<float[]> scores, IReadOnlyList<string> classes, float threshold, int minPackets)
    {
        _classes = classes;
        _benign = IndexOf(classes, FlowClasses.Benign);
        Threshold = threshold;
        var predicted = new string[examples.Count];
        var tunnel = new float[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            int best = FlowClassifierModel.Decide(scores[i], _benign, out float p);
            tunnel[i] = p;
            predicted[i] = best >= 0 && p >= threshold && examples[i].Packets >= minPackets ? classes[best] : FlowClasses.Benign;
        }

        Examples = examples;
        Predicted = predicted;
        TunnelProbability = tunnel;
    }

    public IReadOnlyList<Example> Examples { get; }

    public IReadOnlyList<string> Predicted { get; }

    public IReadOnlyList<float> TunnelProbability { get; }

    public float Threshold { get; }

    /// <summary>Share of benign examples (of those selected) flagged as any tunnel.</summary>
    public (int Flagged, int Benign) BenignFlagged(Func<Example, bool>? where = null)
    {
        int flagged = 0, benign = 0;
        for (int i = 0; i < Examples.Count; i++)
        {
            if (Examples[i].Class == FlowClasses.Benign && (where is null || where(Examples[i])))
            {
                benign++;
                flagged += Predicted[i] != FlowClasses.Benign ? 1 : 0;
            }
        }

        return (flagged, benign);
    }

    /// <summary>Tunnel examples (of those selected) flagged as a tunnel (any class), and as the right class.</summary>
    public (int AnyTunnel, int RightClass, int Tunnels) TunnelRecall(Func<Example, bool>? where = null)
    {
        int any = 0, right = 0, tunnels = 0;
        for (int i = 0; i < Examples.Count; i++)
        {
            Example e = Examples[i];
            if (e.Class != FlowClasses.Benign && (where is null || where(e)))
            {
                tunnels++;
                any += Predicted[i] != FlowClasses.Benign ? 1 : 0;
                right += Predicted[i] == e.Class ? 1 : 0;
            }
        }

        return (any, right, tunnels);
    }

    /// <summary>
    /// The whole pipeline on the examples (of those selected): flows a detector reported (<see cref="Example.Detected"/>)
    /// or the classifier flagged, among mid-flow tunnel flows and among all benign flows.
    /// </summary>
    public (int Caught, int Tunnels, int Flagged, int Benign) MidFlowPipeline(Func<Example, bool>? where = null)
    {
        int caught = 0, tunnels = 0, flagged = 0, benign = 0;
        for (int i = 0; i < Examples.Count; i++)
        {
            Example e = Examples[i];
            if ((where is not null && !where(e)) || (e.Class != FlowClasses.Benign && !e.MidFlow))
            {
                continue;
            }

            int hit = e.Detected.Length > 0 || Predicted[i] != FlowClasses.Benign ? 1 : 0;
            if (e.Class == FlowClasses.Benign)
            {
                benign++;
                flagged += hit;
            }
            else
            {
                tunnels++;
                caught += hit;
            }
        }

        return (caught, tunnels, flagged, benign);
    }

    public void WriteMarkdown(TextWriter w, string title, Func<Example, bool>? where = null)
    {
        var rows = Enumerable.Range(0, Examples.Count).Where(i => where is null || where(Examples[i])).ToList();
        w.WriteLine("#### " + title + " (" + rows.Count.ToString(s_inv) + " flows)");
        w.WriteLine();
        w.WriteLine("| class | flows | TP | FP | FN | precision | recall |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (string cls in _classes)
        {
            int flows = rows.Count(i => Examples[i].Class == cls);
            int tp = rows.Count(i => Examples[i].Class == cls && Predicted[i] == cls);
            int fp = rows.Count(i => Examples[i].Class != cls && Predicted[i] == cls);
            int fn = flows - tp;
            w.WriteLine(string.Create(s_inv, $"| {cls} | {flows} | {tp} | {fp} | {fn} | {Pct(tp, tp + fp)} | {Pct(tp, flows)} |"));
        }

        (int flagged, int benign) = BenignFlagged(where);
        (int any, int right, int tunnels) = TunnelRecall(where);
        w.WriteLine();
        w.WriteLine(string.Create(s_inv, $"- benign flows flagged (FPR): {flagged} of {benign} = {Pct(flagged, benign)}"));
        w.WriteLine(string.Create(s_inv, $"- tunnel flows flagged as a tunnel: {any} of {tunnels} = {Pct(any, tunnels)}; as the right class: {right} = {Pct(right, tunnels)}"));
        w.WriteLine();
        w.WriteLine("Confusion (rows: truth, columns: predicted):");
        w.WriteLine();
        w.WriteLine("| truth \\ predicted | " + string.Join(" | ", _classes) + " |");
        w.WriteLine("|---|" + string.Concat(_classes.Select(_ => "---:|")));
        foreach (string truth in _classes)
        {
            w.WriteLine("| " + truth + " | " + string.Join(" | ", _classes.Select(p => rows.Count(i => Examples[i].Class == truth && Predicted[i] == p).ToString(s_inv))) + " |");
        }

        w.WriteLine();
    }

    public static string Pct(int part, int whole) => whole == 0 ? "-" : (part * 100.0 / whole).ToString("0.0", s_inv) + "%";

    private static int IndexOf(IReadOnlyList<string> classes, string cls)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (classes[i] == cls)
            {
                return i;
            }
        }

        return -1;
    }
}
