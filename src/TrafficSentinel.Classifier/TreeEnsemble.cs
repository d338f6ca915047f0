using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;

namespace TrafficSentinel.Classifier;

/// <summary>
/// One class's calibrated FastTree model as flat arrays, for the live sensor: the trees ML.NET
/// trained (split feature, threshold, children, leaf values, tree weights, bias) and the Platt
/// calibrator, evaluated without ML.NET's data-view machinery. Same rule as ML.NET's tree walk
/// (feature ≤ threshold goes left); tests check it gives ML.NET's probabilities. Stored in the
/// model zip beside the ML.NET model, so a sensor starts without deserialising ML.NET pipelines.
/// Immutable and thread-safe; <see cref="Probability"/> allocates nothing.
/// </summary>
public sealed class TreeEnsemble
{
    private const string Magic = "TSTREES1";

    /// <summary>An internal node: children ≥ 0 are node indexes, &lt; 0 are ~leaf indexes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Node
    {
        public int Feature;
        public float Threshold;
        public int Left;
        public int Right;
    }

    private readonly Node[] _nodes;
    private readonly double[] _leaves;
    private readonly int[] _roots;
    private readonly double _bias;
    private readonly double _slope;
    private readonly double _offset;

    private TreeEnsemble(Node[] nodes, double[] leaves, int[] roots, double bias, double slope, double offset)
    {
        _nodes = nodes;
        _leaves = leaves;
        _roots = roots;
        _bias = bias;
        _slope = slope;
        _offset = offset;
    }

    public int Trees => _roots.Length;

    /// <summary>Largest feature index a split reads (−1 without splits).</summary>
    public int MaxFeature { get; private set; } = -1;

    /// <summary>
    /// The calibrated probability of the class for one feature vector (at least <see cref="MaxFeature"/> + 1 long).
    /// One 16-byte node per step, no bounds checks inside the walk: every index was checked when the
    /// trees were built or read, and the vector's length here.
    /// </summary>
    public float Probability(ReadOnlySpan<float> features)
    {
        if (features.Length <= MaxFeature)
        {
            throw new ArgumentException("the feature vector is shorter than the model's features", nameof(features));
        }

        ref float x = ref MemoryMarshal.GetReference(features);
        ref Node nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref double leaves = ref MemoryMarshal.GetArrayDataReference(_leaves);
        double sum = _bias;
        foreach (int root in _roots)
        {
            int n = root;
            while (n >= 0)
            {
                ref Node node = ref Unsafe.Add(ref nodes, n);
                if (Unsafe.Add(ref x, node.Feature) <= node.Threshold)
                {
                    n = node.Left;
                }
                else
                {
                    n = node.Right;
                }
            }

            sum += Unsafe.Add(ref leaves, ~n);
        }

        return (float)(1 / (1 + Math.Exp((_slope * (float)sum) + _offset)));
    }

    /// <summary>The flat form of a calibrated FastTree binary transformer; false for any other model (or categorical splits).</summary>
    public static bool TryFrom(ITransformer transformer, out TreeEnsemble ensemble)
    {
        ensemble = null!;
        if (transformer is not ISingleFeaturePredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> binary)
        {
            return false;
        }

        FastTreeBinaryModelParameters trees = binary.Model.SubModel;
        PlattCalibrator platt = binary.Model.Calibrator;
        RegressionTreeEnsemble e = trees.TrainedTreeEnsemble;
        var nodes = new List<Node>();
        var leaves = new List<double>();
        var roots = new int[e.Trees.Count];
        int maxFeature = -1;
        for (int t = 0; t < e.Trees.Count; t++)
        {
            RegressionTree tree = e.Trees[t];
            double weight = e.TreeWeights[t];
            int nodeBase = nodes.Count;
            int leafBase = leaves.Count;
            for (int i = 0; i < tree.NumberOfNodes; i++)
            {
                if (tree.CategoricalSplitFlags[i])
                {
                    return false;
                }

                int feature = tree.NumericalSplitFeatureIndexes[i];
                maxFeature = Math.Max(maxFeature, feature);
                nodes.Add(new Node
                {
                    Feature = feature,
                    Threshold = tree.NumericalSplitThresholds[i],
                    Left = Child(tree.LeftChild[i], nodeBase, leafBase),
                    Right = Child(tree.RightChild[i], nodeBase, leafBase),
                });
            }

            for (int i = 0; i < tree.NumberOfLeaves; i++)
            {
                leaves.Add(tree.LeafValues[i] * weight);
            }

            roots[t] = tree.NumberOfNodes > 0 ? nodeBase : ~leafBase;
        }

        ensemble = new TreeEnsemble([.. nodes], [.. leaves], roots, e.Bias, platt.Slope, platt.Offset) { MaxFeature = maxFeature };
        return true;
    }

    private static int Child(int child, int nodeBase, int leafBase) => child >= 0 ? nodeBase + child : ~(leafBase + ~child);

    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        w.Write(Magic);
        w.Write(_bias);
        w.Write(_slope);
        w.Write(_offset);
        w.Write(_roots.Length);
        foreach (int r in _roots)
        {
            w.Write(r);
        }

        w.Write(_nodes.Length);
        foreach (Node n in _nodes)
        {
            w.Write(n.Feature);
            w.Write(n.Threshold);
            w.Write(n.Left);
            w.Write(n.Right);
        }

        w.Write(_leaves.Length);
        foreach (double l in _leaves)
        {
            w.Write(l);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; checks every index, so a damaged file fails here, never in a prediction.</summary>
    public static TreeEnsemble Read(Stream stream, int featureCount)
    {
        try
        {
            using var r = new BinaryReader(stream, System.Text.Encoding.ASCII, leaveOpen: true);
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException("not a tree ensemble");
            }

            double bias = r.ReadDouble();
            double slope = r.ReadDouble();
            double offset = r.ReadDouble();
            int[] roots = new int[Count(r.ReadInt32())];
            for (int i = 0; i < roots.Length; i++)
            {
                roots[i] = r.ReadInt32();
            }

            var nodes = new Node[Count(r.ReadInt32())];
            int maxFeature = -1;
            for (int i = 0; i < nodes.Length; i++)
            {
                nodes[i] = new Node { Feature = r.ReadInt32(), Threshold = r.ReadSingle(), Left = r.ReadInt32(), Right = r.ReadInt32() };
                maxFeature = Math.Max(maxFeature, nodes[i].Feature);
            }

            double[] leaves = new double[Count(r.ReadInt32())];
            for (int i = 0; i < leaves.Length; i++)
            {
                leaves[i] = r.ReadDouble();
            }

            // A child node always comes after its parent (FastTree numbers nodes as it splits), so every walk ends.
            bool Valid(int child, int parent) => child >= 0 ? child > parent && child < nodes.Length : ~child < leaves.Length;
            bool ok = maxFeature < featureCount;
            for (int i = 0; i < nodes.Length && ok; i++)
            {
                ok = nodes[i].Feature >= 0 && Valid(nodes[i].Left, i) && Valid(nodes[i].Right, i);
            }

            for (int i = 0; i < roots.Length && ok; i++)
            {
                ok = Valid(roots[i], -1);
            }

            if (!ok)
            {
                throw new InvalidDataException("tree ensemble indexes out of range");
            }

            return new TreeEnsemble(nodes, leaves, roots, bias, slope, offset) { MaxFeature = maxFeature };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("truncated tree ensemble", e);
        }
    }

    private static int Count(int n) => n is >= 0 and <= 1 << 24 ? n : throw new InvalidDataException("bad count in tree ensemble");
}
