using System.Globalization;

namespace Tessera.Bench;

public static partial class BenchCatalog
{
    /// <summary>One op's sweep: the dimension that varies and the cases at one size (other dimensions at their medium
    /// values). A size is one number, or M×N×K for gemm.</summary>
    private sealed record SweepSpec(string Axis, Func<int[], IEnumerable<BenchCase>> At);

    private static readonly Dictionary<string, SweepSpec> Sweeps = new()
    {
        ["gemm"] = new("M=N=K", d => [d.Length == 3 ? Gemm(d[0], d[1], d[2]) : Gemm(d[0], d[0], d[0])]),
        ["batched_gemm"] = new("M=N=K (32 matrices)", d => [BatchedGemm(32, d[0])]),
        ["conv2d"] = new("height = width (8×64 → 64 channels, 3×3)", d => [ConvForward(8, 64, d[0], 64)]),
        ["conv2d_dgrad"] = new("height = width (8×64 → 64 channels, 3×3)", d => [ConvBackwardData(8, 64, d[0], 64)]),
        ["conv2d_wgrad"] = new("height = width (8×64 → 64 channels, 3×3)", d => [ConvBackwardWeight(8, 64, d[0], 64)]),
        ["conv2d_1x1"] = new("height = width (24 → 144 channels, 1×1)", d => ConvShapeRows(1, d[0])),
        ["conv2d_dw3x3"] = new("height = width (144 channels, depthwise 3×3)", d => ConvShapeRows(1, d[0])),
        ["conv2d_dw3x3_s2"] = new("height = width (144 channels, depthwise 3×3 stride 2)", d => ConvShapeRows(1, d[0])),
        ["conv2d_dw5x5"] = new("height = width (240 channels, depthwise 5×5, at half the swept size)", d => ConvShapeRows(1, d[0])),
        ["maxpool"] = new("height = width (8×64 channels)", d => [MaxPool(8, 64, d[0])]),
        ["maxpool_3x3s2"] = new("height = width (64 channels, 3×3 stride 2 pad 1)", d => [MaxPool3x3(1, 64, d[0])]),
        ["avgpool"] = new("height = width (8×64 channels)", d => [AvgPool(8, 64, d[0])]),
        ["global_avgpool"] = new("height = width (8×512 channels)", d => [GlobalAvgPool(8, 512, d[0])]),
        ["batchnorm"] = new("height = width (8×64 channels)", d => [BatchNormForward(8, 64, d[0]), BatchNormBackward(8, 64, d[0])]),
        ["batchnorm_infer"] = new("height = width (8×64 channels)", d => [BatchNormInference(8, 64, d[0])]),
        ["layernorm"] = new("columns (8192 rows)", d => [LayerNormForward(8192, d[0]), LayerNormBackward(8192, d[0])]),
        ["softmax"] = new("columns (8192 rows)", d => [Softmax(8192, d[0])]),
        ["cross_entropy"] = new("classes (1024 rows)", d => [CrossEntropy(1024, d[0])]),
        ["attention"] = new("sequence length (4×8 heads of 64)", d => [AttentionForward(4, 8, d[0], 64, false), AttentionBackward(4, 8, d[0], 64, false)]),
        ["attention_causal"] = new("sequence length (4×8 heads of 64)", d => [AttentionForward(4, 8, d[0], 64, true), AttentionBackward(4, 8, d[0], 64, true)]),
        ["adam"] = new("parameters", d => [Adam(d[0])]),
        ["momentum"] = new("parameters", d => [Momentum(d[0])]),
        ["relu"] = new("elements", d => [Relu(d[0])]),
        ["sigmoid"] = new("elements", d => [Sigmoid(d[0])]),
        ["gelu"] = new("elements", d => [Gelu(d[0])]),
        ["gelu_tanh"] = new("elements", d => [GeluTanh(d[0])]),
        ["add"] = new("elements", d => [Add(d[0])]),
    };

    /// <summary>The cases of a shape sweep: every op matching <paramref name="ops"/> (by prefix, as <c>--op</c> does; all
    /// when empty) at every size of <paramref name="sizes"/>, ordered by op, then size.</summary>
    public static IReadOnlyList<BenchCase> Sweep(IReadOnlyCollection<string> ops, IReadOnlyList<int[]> sizes)
    {
        const string op = "bench";
        if (sizes.Count == 0) throw new TesseraArgumentException(op, "--shape", "no sizes");
        var names = OpNames.Where(n => ops.Count == 0 || ops.Any(o => n.StartsWith(o, StringComparison.OrdinalIgnoreCase))).ToList();
        var cases = new List<BenchCase>();
        foreach (var name in names)
        {
            var spec = Sweeps[name];
            foreach (var size in sizes)
            {
                if (size.Length == 3 && name != "gemm")
                    throw new TesseraArgumentException(op, "--shape", $"MxNxK sizes are for gemm only; {name} sweeps one number ({spec.Axis})");
                if (size.Any(d => d < 1)) throw new TesseraArgumentException(op, "--shape", $"sizes must be positive, got {string.Join("x", size)}");
                double value = size.Length == 3 ? Math.Cbrt((double)size[0] * size[1] * size[2]) : size[0];
                string axis = size.Length == 3 ? "(M·N·K)^(1/3)" : spec.Axis;
                cases.AddRange(WithDeviceBaselines(spec.At(size).Where(c => c.Op == name)).Select(c => c with { SweepAxis = axis, SweepValue = value }));
            }
        }
        return cases;
    }

    /// <summary>The op names <see cref="Sweep"/> knows (every op of the catalog).</summary>
    public static IReadOnlyCollection<string> SweepOps => Sweeps.Keys;

    /// <summary>Parses <c>--shape</c>: a comma-separated list of sizes or ranges. A size is a number (with an optional
    /// k/M suffix: ×1024, ×1048576) or MxNxK; a range FROM:TO doubles from FROM up to TO, FROM:TO:STEP adds STEP.</summary>
    public static IReadOnlyList<int[]> ParseSizes(string spec)
    {
        const string op = "bench";
        var sizes = new List<int[]>();
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = raw.Split(':');
            if (range.Length == 1)
            {
                sizes.Add(raw.Split('x', 'X').Select(p => Number(p, raw)).ToArray());
                if (sizes[^1].Length is not (1 or 3)) throw new TesseraArgumentException(op, "--shape", $"'{raw}' is neither a size nor MxNxK");
                continue;
            }
            if (range.Length > 3) throw new TesseraArgumentException(op, "--shape", $"'{raw}' is not FROM:TO or FROM:TO:STEP");
            long from = Number(range[0], raw), to = Number(range[1], raw), step = range.Length == 3 ? Number(range[2], raw) : 0;
            if (from < 1 || to < from) throw new TesseraArgumentException(op, "--shape", $"'{raw}': the range must run upwards from at least 1");
            for (long v = from; v <= to; v = step > 0 ? v + step : v * 2)
            {
                sizes.Add([(int)v]);
                if (sizes.Count > 64) throw new TesseraArgumentException(op, "--shape", $"'{spec}' gives more than 64 sizes");
            }
        }
        if (sizes.Count == 0) throw new TesseraArgumentException(op, "--shape", $"'{spec}' gives no size");
        return sizes;
    }

    private static int Number(string text, string context)
    {
        text = text.Trim();
        long mult = text.EndsWith('k') || text.EndsWith('K') ? 1024 : text.EndsWith('M') ? 1 << 20 : 1;
        if (mult > 1) text = text[..^1];
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v * mult > int.MaxValue)
            throw new TesseraArgumentException("bench", "--shape", $"'{context}': '{text}' is not a size");
        return (int)(v * mult);
    }
}
