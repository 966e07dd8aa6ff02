using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cpu;

/// <summary>CPU results do not depend on the SIMD width: the row kernels (norms, softmax, reductions), the optimizer
/// steps, element-wise kernels, the fused epilogues of GEMM and convolution, and attention run with the drivers limited
/// to Vector256 and to Vector128 give the same bits as with every width the machine has. Row lengths cover full
/// 64-element blocks, 16-, 8- and 4-element remainders, the scalar tail, rows shorter than one vector, and rows of 16 to
/// 64 (which take a shorter way with Vector512).</summary>
[Collection(nameof(VectorWidthCollection))]
public class VectorWidthTests
{
    private static readonly int[][] Rows = [[5, 77], [3, 1000], [4, 13], [6, 6], [2, 3], [3, 64], [4, 37], [2, 16]];

    public static TheoryData<string> Kernels => new()
    {
        "layernorm", "layernorm-backward", "batchnorm", "batchnorm-backward", "batchnorm-inference", "softmax",
        "reduce", "adam", "momentum", "sgd", "elementwise", "attention", "epilogue",
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ResultsDoNotDependOnTheVectorWidth(string kernel)
    {
        Requirement.Require(Vector256.IsHardwareAccelerated, "needs Vector256 and Vector128 to compare two widths");
        var widest = RunAt(512, kernel);
        foreach (int bits in new[] { 256, 128 })
        {
            var narrow = RunAt(bits, kernel);
            Assert.Equal(widest.Length, narrow.Length);
            for (int i = 0; i < widest.Length; i++)
                if (BitConverter.SingleToInt32Bits(widest[i]) != BitConverter.SingleToInt32Bits(narrow[i]))
                    Assert.Fail($"{kernel}: output {i} is {narrow[i]:R} with at most {bits}-bit vectors, {widest[i]:R} with all widths");
        }
    }

    private static float[] RunAt(int bits, string kernel)
    {
        int was = VectorWidth.MaxBits;
        VectorWidth.MaxBits = bits;
        try { return Run(kernel); }
        finally { VectorWidth.MaxBits = was; }
    }

    private static float[] Run(string kernel)
    {
        using var r = new Recorder();
        foreach (var s in Rows) Run(kernel, s[0], s[1], r);
        return r.Outputs.ToArray();
    }

    /// <summary>Makes the inputs and collects the outputs of one run; disposes every tensor at the end.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
        private int _seed = 1;

        public List<float> Outputs { get; } = [];

        public Tensor T(params int[] shape) => Own(Rand.Uniform(_seed++, shape, -2, 2).ToDevice(TestDevices.Cpu));

        public Tensor Own(Tensor t)
        {
            _owned.Add(t);
            return t;
        }

        public void Keep(params Tensor?[] ts)
        {
            foreach (var t in ts)
                if (t is not null) Outputs.AddRange(Own(t).ToArray<float>());
        }

        public void Dispose()
        {
            foreach (var t in _owned) t.Dispose();
        }
    }

    private static void Run(string kernel, int n, int c, Recorder r)
    {
        var x = r.T(n, c);
        var dy = r.T(n, c);
        var gamma = r.T(c);
        var beta = r.T(c);
        switch (kernel)
        {
            case "layernorm":
            {
                var (y, mean, inv) = Ops.LayerNorm(x, gamma, beta, new LayerNormParams(1));
                var (y2, mean2, inv2) = Ops.LayerNorm(x, null, null, new LayerNormParams(1));
                r.Keep(y, mean, inv, y2, mean2, inv2);
                break;
            }
            case "layernorm-backward":
            {
                var (y, mean, inv) = Ops.LayerNorm(x, gamma, beta, new LayerNormParams(1));
                var (dx, dg, db) = Ops.LayerNormBackward(x, dy, gamma, mean, inv, new LayerNormParams(1));
                var (dx2, _, _) = Ops.LayerNormBackward(x, dy, null, mean, inv, new LayerNormParams(1), withBeta: false);
                r.Keep(y, mean, inv, dx, dg, db, dx2);
                break;
            }
            case "batchnorm" or "batchnorm-backward" or "batchnorm-inference":
                // [n, c] takes the column-wise path; [2, n, 3, c] has spatial size 3·c (wide rows once c ≥ 6).
                foreach (var bx in new[] { x, r.T(2, n, 3, c) })
                {
                    int ch = bx.Shape[1];
                    var g = r.T(ch);
                    var b = r.T(ch);
                    var rm = r.T(ch);
                    var rv = r.Own(Ops.Abs(r.T(ch)));
                    if (kernel == "batchnorm-inference") { r.Keep(Ops.BatchNormInference(bx, g, b, rm, rv, new BatchNormParams())); continue; }
                    var (y, sm, si) = Ops.BatchNormTraining(bx, g, b, rm, rv, new BatchNormParams());
                    if (kernel == "batchnorm") { r.Keep(y, sm, si, rm, rv); continue; }
                    var bdy = r.T(bx.Shape.ToArray());
                    var (dx, dg, db) = Ops.BatchNormBackward(bx, bdy, g, sm, si, new BatchNormParams());
                    r.Keep(y, sm, si, dx, dg, db);
                }
                break;
            case "softmax":
                r.Keep(Ops.Softmax(x), Ops.LogSoftmax(x), Ops.Softmax(x, 0), Ops.LogSoftmax(x, 0));
                break;
            case "reduce":
                r.Keep(Ops.Sum(x, [1]), Ops.Sum(x, [0]), Ops.Sum(x), Ops.Max(x, [1]), Ops.Min(x), Ops.Mean(x, [1]));
                break;
            case "adam":
            {
                var m = r.T(n, c);
                var v = r.Own(Ops.Abs(r.T(n, c)));
                Ops.AdamStep(x, dy, m, v, new AdamParams(0.01f, WeightDecay: 0.1f, Step: 3));
                Ops.AdamStep(x, dy, m, v, new AdamParams(0.01f, WeightDecay: 0.1f, Decoupled: true, Step: 4));
                r.Keep(Ops.Neg(x), Ops.Neg(m), Ops.Neg(v));
                break;
            }
            case "momentum":
            {
                var v = r.T(n, c);
                Ops.MomentumStep(x, dy, v, new MomentumParams(0.01f, WeightDecay: 0.1f, Step: 2));
                Ops.MomentumStep(x, dy, v, new MomentumParams(0.01f, Nesterov: true, Step: 3));
                r.Keep(Ops.Neg(x), Ops.Neg(v));
                break;
            }
            case "sgd":
                Ops.SgdStep(x, dy, new SgdParams(0.1f, 0.01f));
                r.Keep(Ops.Neg(x));
                break;
            case "elementwise":
                r.Keep(Ops.Unary(UnaryOp.Affine, x, new UnaryParams(1.5f, -0.25f)), Ops.Unary(UnaryOp.GeluTanh, x),
                    Ops.Mul(x, gamma), Ops.Div(dy, x));
                var (da, dbias) = Ops.BinaryBackward(BinaryOp.Mul, x, gamma, dy);
                r.Keep(da, dbias);
                break;
            case "attention":
            {
                // Tq = n queries over Tk = c keys: score rows of c, head sizes 19 (D) and 21 (Dv) past whole vectors.
                var q = r.T(1, 2, n, 19);
                var k = r.T(1, 2, c, 19);
                var v = r.T(1, 2, c, 21);
                var mask = r.T(n, c);
                var dO = r.T(1, 2, n, 21);
                foreach (var p in new[] { new AttentionParams(), new AttentionParams(0.3f, Causal: true) })
                {
                    var (o, lse) = Ops.Attention(q, k, v, mask, p);
                    var (dq, dk, dv) = Ops.AttentionBackward(q, k, v, mask, o, lse, dO, p);
                    r.Keep(o, lse, dq, dk, dv);
                }
                break;
            }
            case "epilogue":
            {
                // Fused epilogues over GEMM tiles (full 32-wide panels and ragged edges): a layer's bias [c] with
                // HardSwish, and an implicit-GEMM convolution (c input channels) with bias, residual and GELU tanh.
                var w = r.T(c, c);
                r.Keep(Ops.Gemm(x, w, gamma, new GemmParams(Epilogue: Epilogue.HardSwish)));
                var p = Conv2dParams.Square(1, 1) with { Epilogue = Epilogue.Gelu(approximate: true) };
                var img = r.T(1, 20, n + 2, 9);
                var filters = r.T(c % 7 + 3, 20, 3, 3);
                var bias = r.T(c % 7 + 3);
                var residual = r.T(1, c % 7 + 3, n + 2, 9);
                r.Keep(Ops.Conv2d(img, filters, bias, p, residual));
                break;
            }
            default:
                throw new ArgumentException($"unknown kernel {kernel}", nameof(kernel));
        }
    }
}

/// <summary>Tests that change the process-wide <see cref="VectorWidth.MaxBits"/> run alone.</summary>
[CollectionDefinition(nameof(VectorWidthCollection), DisableParallelization = true)]
public sealed class VectorWidthCollection;
