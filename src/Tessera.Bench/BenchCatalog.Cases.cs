using Tessera.Bench.Baselines;
using Tessera.Kernels;
using Tessera.Reference;
using Attr = Tessera.Bench.Baselines.OnnxModelWriter.AttributeSpec;

namespace Tessera.Bench;

public static partial class BenchCatalog
{
    /// <summary>Reference FLOPs spent verifying one case. Above it, a case verifies a leading block of its output (the
    /// first rows, samples, heads or output channels, each computed exactly by the reference from the inputs it depends
    /// on); below it, the whole output.</summary>
    public const double VerifyBudgetFlops = 1.5e8;

    private static BaselineSpec NoBackward => OnnxRuntimeBaseline.NoOperator("ONNX has no operator for this gradient (ONNX Runtime computes gradients only in its training build)");
    private static BaselineSpec NoAttention => OnnxRuntimeBaseline.NoOperator("fused attention is a contrib operator (com.microsoft) with its own layout, not wired as a baseline");
    private static BaselineSpec NoOptimizer => OnnxRuntimeBaseline.NoOperator("the optimizer operators (ai.onnx.preview.training) are absent from ONNX Runtime's inference package");

    private static int VerifyUnits(int total, double flopsPerUnit) => (int)Math.Clamp(Math.Floor(VerifyBudgetFlops / flopsPerUnit), 1, total);

    private static BenchCase Gemm(int m, int n, int k) =>
        new("gemm", OpKind.Gemm, $"{m}x{k} * {k}x{n}", "fwd", Work.Gemm(m, n, k), ctx =>
        {
            var a = ctx.In("a", [m, k]); var b = ctx.In("b", [k, n]); var c = ctx.Out(m, n);
            var gp = new GemmParams();
            void Run() => ctx.Device.Kernels.Gemm(a, b, null, c, gp);
            int rows = VerifyUnits(m, 2.0 * n * k);
            return new BenchInstance(Run, () => { Run(); return Verify.ClosePrefix("c", RefLinalg.MatMul(ctx.RefPrefix("a", rows, k), ctx.Ref("b")), c); }, ctx, c);
        }, [OpenBlas.Sgemm(), OnnxRuntimeBaseline.Node("MatMul", ["a", "b"], [("c", [m, n])]), ClBlast.Sgemm()]);

    private static BenchCase BatchedGemm(int batch, int s) =>
        new("batched_gemm", OpKind.Gemm, $"{batch}x{s}x{s} * {batch}x{s}x{s}", "fwd", Work.Gemm(s, s, s, batch), ctx =>
        {
            var a = ctx.In("a", [batch, s, s]); var b = ctx.In("b", [batch, s, s]); var c = ctx.Out(batch, s, s);
            var gp = new GemmParams();
            void Run() => ctx.Device.Kernels.Gemm(a, b, null, c, gp);
            int nb = VerifyUnits(batch, 2.0 * s * s * s);
            return new BenchInstance(Run, () =>
            {
                Run();
                return Verify.ClosePrefix("c", RefLinalg.MatMul(ctx.RefPrefix("a", nb, s, s), ctx.RefPrefix("b", nb, s, s)), c);
            }, ctx, c);
        }, [OpenBlas.Sgemm(), OnnxRuntimeBaseline.Node("MatMul", ["a", "b"], [("c", [batch, s, s])]), ClBlast.Sgemm()]);

    private static readonly Conv2dParams Conv3x3 = Conv2dParams.Square(stride: 1, pad: 1);

    private static Work.Amount ConvWork(int n, int c, int h, int k) => Work.Conv2d(n, c, h, h, k, 3, 3, h, h);

    private static BenchCase ConvForward(int n, int c, int h, int k) =>
        new("conv2d", OpKind.Conv2d, $"x {Dims(n, c, h, h)} w {Dims(k, c, 3, 3)} pad 1", "fwd", ConvWork(n, c, h, k), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var w = ctx.In("w", [k, c, 3, 3]); var y = ctx.Out(n, k, h, h);
            void Run() => ctx.Device.Kernels.Conv2d(x, w, null, null, y, Conv3x3);
            int ns = VerifyUnits(n, 18.0 * k * h * h * c);
            return new BenchInstance(Run, () =>
            {
                Run();
                return Verify.ClosePrefix("y", RefConv.Conv2d(ctx.RefPrefix("x", ns, c, h, h), ctx.Ref("w"), null, Conv3x3), y);
            }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("Conv", ["x", "w"], [("y", [n, k, h, h])],
            [new Attr("kernel_shape", Ints: [3, 3]), new Attr("pads", Ints: [1, 1, 1, 1]), new Attr("strides", Ints: [1, 1])])]);

    private static BenchCase ConvBackwardData(int n, int c, int h, int k) =>
        new("conv2d_dgrad", OpKind.Conv2dBackwardData, $"dy {Dims(n, k, h, h)} w {Dims(k, c, 3, 3)} pad 1", "bwd", ConvWork(n, c, h, k), ctx =>
        {
            var dy = ctx.In("dy", [n, k, h, h]); var w = ctx.In("w", [k, c, 3, 3]); var dx = ctx.Out(n, c, h, h);
            void Run() => ctx.Device.Kernels.Conv2dBackwardData(dy, w, dx, Conv3x3);
            return new BenchInstance(Run, () =>
            {
                Run();
                int ns = VerifyUnits(n, 18.0 * k * h * h * c);
                return Verify.ClosePrefix("dx", RefConv.Conv2dBackwardData(ctx.RefPrefix("dy", ns, k, h, h), ctx.Ref("w"), [ns, c, h, h], Conv3x3), dx);
            }, ctx);
        }, [NoBackward]);

    private static BenchCase ConvBackwardWeight(int n, int c, int h, int k) =>
        new("conv2d_wgrad", OpKind.Conv2dBackwardWeight, $"x {Dims(n, c, h, h)} dy {Dims(n, k, h, h)} pad 1", "bwd", ConvWork(n, c, h, k), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var dy = ctx.In("dy", [n, k, h, h]); var dw = ctx.Out(k, c, 3, 3);
            void Run() => ctx.Device.Kernels.Conv2dBackwardWeight(x, dy, dw, Conv3x3);
            return new BenchInstance(Run, () =>
            {
                Run();
                int kc = VerifyUnits(k, 18.0 * n * h * h * c);
                return Verify.ClosePrefix("dw", RefConv.Conv2dBackwardWeight(ctx.Ref("x"), ctx.RefChannels("dy", kc), [kc, c, 3, 3], Conv3x3), dw);
            }, ctx);
        }, [NoBackward]);

    private static readonly Pool2dParams Pool2x2 = Pool2dParams.Square(kernel: 2, stride: 2);

    private static BenchCase MaxPool(int n, int c, int h) =>
        new("maxpool", OpKind.MaxPool2d, $"{Dims(n, c, h, h)} k2 s2", "fwd", Work.Pool2d((long)n * c * h * h, (long)n * c * (h / 2) * (h / 2), 4), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var y = ctx.Out(n, c, h / 2, h / 2);
            void Run() => ctx.Device.Kernels.MaxPool2d(x, y, null, Pool2x2);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefConv.MaxPool2d(ctx.Ref("x"), Pool2x2).Y, y, 1e-6); }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("MaxPool", ["x"], [("y", [n, c, h / 2, h / 2])],
            [new Attr("kernel_shape", Ints: [2, 2]), new Attr("strides", Ints: [2, 2])])]);

    private static BenchCase AvgPool(int n, int c, int h) =>
        new("avgpool", OpKind.AvgPool2d, $"{Dims(n, c, h, h)} k2 s2", "fwd", Work.Pool2d((long)n * c * h * h, (long)n * c * (h / 2) * (h / 2), 4), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var y = ctx.Out(n, c, h / 2, h / 2);
            void Run() => ctx.Device.Kernels.AvgPool2d(x, y, Pool2x2);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefConv.AvgPool2d(ctx.Ref("x"), Pool2x2), y, 1e-5); }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("AveragePool", ["x"], [("y", [n, c, h / 2, h / 2])],
            [new Attr("kernel_shape", Ints: [2, 2]), new Attr("strides", Ints: [2, 2])])]);

    private static BenchCase GlobalAvgPool(int n, int c, int h) =>
        new("global_avgpool", OpKind.Reduce, $"{Dims(n, c, h, h)}", "fwd", Work.Pool2d((long)n * c * h * h, (long)n * c, h * h), ctx =>
        {
            var p = new ReduceParams([2, 3], KeepDims: true);
            var x = ctx.In("x", [n, c, h, h]); var y = ctx.Out(n, c, 1, 1);
            void Run() => ctx.Device.Kernels.Reduce(ReduceOp.Mean, x, y, p);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefReduction.Reduce(ReduceOp.Mean, ctx.Ref("x"), p), y, 1e-5); }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("GlobalAveragePool", ["x"], [("y", [n, c, 1, 1])])]);

    private static readonly BatchNormParams Bn = new();

    private static BenchCase BatchNormForward(int n, int c, int h) =>
        new("batchnorm", OpKind.BatchNormTraining, $"{Dims(n, c, h, h)} train", "fwd", Work.BatchNormForward((long)n * c * h * h, c), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var gamma = ctx.In("gamma", [c], 0.5f, 1.5f); var beta = ctx.In("beta", [c]);
            var rm = ctx.In("rmean", [c]); var rv = ctx.In("rvar", [c], 0.5f, 1.5f);
            var y = ctx.Out(n, c, h, h); var mean = ctx.Out(c); var inv = ctx.Out(c);
            void Run() => ctx.Device.Kernels.BatchNormTraining(x, gamma, beta, y, rm, rv, mean, inv, Bn);
            return new BenchInstance(Run, () =>
            {
                Run();
                var r = RefNorm.BatchNormTraining(ctx.Ref("x"), ctx.Ref("gamma"), ctx.Ref("beta"), ctx.Ref("rmean"), ctx.Ref("rvar"), Bn);
                return Verification.Combine(Verify.Close("y", r.Y, y), Verify.Close("mean", r.SaveMean, mean), Verify.Close("invstd", r.SaveInvStd, inv));
            }, ctx);
        }, [OnnxRuntimeBaseline.NoOperator("BatchNormalization with training_mode=1 (batch statistics) runs only in ONNX Runtime's training build, not the CPU package")]);

    private static BenchCase BatchNormBackward(int n, int c, int h) =>
        new("batchnorm", OpKind.BatchNormBackward, $"{Dims(n, c, h, h)} train", "bwd", Work.BatchNormBackward((long)n * c * h * h, c), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var dy = ctx.In("dy", [n, c, h, h]); var gamma = ctx.In("gamma", [c], 0.5f, 1.5f);
            var beta = ctx.In("beta", [c]); var rm = ctx.In("rmean", [c]); var rv = ctx.In("rvar", [c], 0.5f, 1.5f);
            var y = ctx.Out(n, c, h, h); var mean = ctx.Out(c); var inv = ctx.Out(c);
            ctx.Device.Kernels.BatchNormTraining(x, gamma, beta, y, rm, rv, mean, inv, Bn);
            var dx = ctx.Out(n, c, h, h); var dg = ctx.Out(c); var db = ctx.Out(c);
            void Run() => ctx.Device.Kernels.BatchNormBackward(x, dy, gamma, mean, inv, dx, dg, db, Bn);
            return new BenchInstance(Run, () =>
            {
                Run();
                var f = RefNorm.BatchNormTraining(ctx.Ref("x"), ctx.Ref("gamma"), ctx.Ref("beta"), ctx.Ref("rmean"), ctx.Ref("rvar"), Bn);
                var r = RefNorm.BatchNormBackward(ctx.Ref("x"), ctx.Ref("dy"), ctx.Ref("gamma"), f.SaveMean, f.SaveInvStd);
                return Verification.Combine(Verify.Close("dx", r.Dx, dx), Verify.Close("dgamma", r.DGamma, dg), Verify.Close("dbeta", r.DBeta, db));
            }, ctx);
        }, [NoBackward]);

    private static BenchCase BatchNormInference(int n, int c, int h) =>
        new("batchnorm_infer", OpKind.BatchNormInference, $"{Dims(n, c, h, h)}", "fwd", Work.BatchNormInference((long)n * c * h * h, c), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var gamma = ctx.In("gamma", [c], 0.5f, 1.5f); var beta = ctx.In("beta", [c]);
            var rm = ctx.In("rmean", [c]); var rv = ctx.In("rvar", [c], 0.5f, 1.5f); var y = ctx.Out(n, c, h, h);
            void Run() => ctx.Device.Kernels.BatchNormInference(x, gamma, beta, rm, rv, y, Bn);
            return new BenchInstance(Run, () =>
            {
                Run();
                var r = RefNorm.BatchNormInference(ctx.Ref("x"), ctx.Ref("gamma"), ctx.Ref("beta"), ctx.Ref("rmean"), ctx.Ref("rvar"), Bn);
                return Verify.Close("y", r, y);
            }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("BatchNormalization", ["x", "gamma", "beta", "rmean", "rvar"], [("y", [n, c, h, h])],
            [new Attr("epsilon", F: Bn.Epsilon)], opset: 15)]);

    private static BenchCase LayerNormForward(int rows, int cols) =>
        new("layernorm", OpKind.LayerNorm, $"{rows}x{cols}", "fwd", Work.LayerNormForward(rows, cols), ctx =>
        {
            var lp = new LayerNormParams(1);
            var x = ctx.In("x", [rows, cols]); var gamma = ctx.In("gamma", [cols], 0.5f, 1.5f); var beta = ctx.In("beta", [cols]);
            var y = ctx.Out(rows, cols); var mean = ctx.Out(rows); var inv = ctx.Out(rows);
            void Run() => ctx.Device.Kernels.LayerNorm(x, gamma, beta, y, mean, inv, lp);
            return new BenchInstance(Run, () =>
            {
                Run();
                var r = RefNorm.LayerNorm(ctx.Ref("x"), ctx.Ref("gamma"), ctx.Ref("beta"), lp);
                return Verification.Combine(Verify.Close("y", r.Y, y), Verify.Close("mean", r.Mean, mean), Verify.Close("invstd", r.InvStd, inv));
            }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("LayerNormalization", ["x", "gamma", "beta"], [("y", [rows, cols])],
            [new Attr("axis", I: -1), new Attr("epsilon", F: 1e-5f)])]);

    private static BenchCase LayerNormBackward(int rows, int cols) =>
        new("layernorm", OpKind.LayerNormBackward, $"{rows}x{cols}", "bwd", Work.LayerNormBackward(rows, cols), ctx =>
        {
            var lp = new LayerNormParams(1);
            var x = ctx.In("x", [rows, cols]); var dy = ctx.In("dy", [rows, cols]);
            var gamma = ctx.In("gamma", [cols], 0.5f, 1.5f); var beta = ctx.In("beta", [cols]);
            var y = ctx.Out(rows, cols); var mean = ctx.Out(rows); var inv = ctx.Out(rows);
            ctx.Device.Kernels.LayerNorm(x, gamma, beta, y, mean, inv, lp);
            var dx = ctx.Out(rows, cols); var dg = ctx.Out(cols); var db = ctx.Out(cols);
            void Run() => ctx.Device.Kernels.LayerNormBackward(x, dy, gamma, mean, inv, dx, dg, db, lp);
            return new BenchInstance(Run, () =>
            {
                Run();
                var f = RefNorm.LayerNorm(ctx.Ref("x"), ctx.Ref("gamma"), ctx.Ref("beta"), lp);
                var r = RefNorm.LayerNormBackward(ctx.Ref("x"), ctx.Ref("dy"), ctx.Ref("gamma"), f.Mean, f.InvStd, lp, withBeta: true);
                return Verification.Combine(Verify.Close("dx", r.Dx, dx), Verify.Close("dgamma", r.DGamma!, dg), Verify.Close("dbeta", r.DBeta!, db));
            }, ctx);
        }, [NoBackward]);

    private static BenchCase Softmax(int rows, int cols) =>
        new("softmax", OpKind.Softmax, $"{rows}x{cols} last axis", "fwd", Work.Softmax((long)rows * cols), ctx =>
        {
            var sp = new SoftmaxParams(1);
            var x = ctx.In("x", [rows, cols], -4, 4); var y = ctx.Out(rows, cols);
            void Run() => ctx.Device.Kernels.Softmax(x, y, sp);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefReduction.Softmax(ctx.Ref("x"), sp), y, 1e-5); }, ctx, y);
        }, [TensorPrimitivesBaseline.Softmax(), OnnxRuntimeBaseline.Node("Softmax", ["x"], [("y", [rows, cols])], [new Attr("axis", I: -1)])]);

    private static BenchCase CrossEntropy(int n, int classes) =>
        new("cross_entropy", OpKind.CrossEntropy, $"logits {n}x{classes} int64 targets, mean", "fwd", Work.CrossEntropy(n, classes), ctx =>
        {
            var cp = new CrossEntropyParams();
            var logits = ctx.In("logits", [n, classes], -4, 4); var target = ctx.Indices("target", n, classes);
            var loss = ctx.Out();
            void Run() => ctx.Device.Kernels.CrossEntropy(logits, target, loss, cp);
            return new BenchInstance(Run, () =>
            {
                Run();
                return Verify.Close("loss", RefReduction.CrossEntropy(ctx.Ref("logits"), ctx.Ref("target"), indices: true, cp), loss, 1e-5);
            }, ctx);
        }, [OnnxRuntimeBaseline.NoOperator("SoftmaxCrossEntropyLoss takes int64 labels; the single-node model writer feeds float32 inputs only")]);

    private static string AttentionOp(bool causal) => causal ? "attention_causal" : "attention";

    private static BenchCase AttentionForward(int b, int h, int t, int d, bool causal) =>
        new(AttentionOp(causal), OpKind.Attention, $"B{b} H{h} T{t} D{d}", "fwd", Work.AttentionForward(b, h, t, d, causal), ctx =>
        {
            var ap = new AttentionParams(float.NaN, causal);
            var q = ctx.In("q", [b, h, t, d]); var k = ctx.In("k", [b, h, t, d]); var v = ctx.In("v", [b, h, t, d]);
            var o = ctx.Out(b, h, t, d); var lse = ctx.Out(b, h, t);
            void Run() => ctx.Device.Kernels.Attention(q, k, v, null, o, lse, ap);
            return new BenchInstance(Run, () =>
            {
                Run();
                int bh = VerifyUnits(b * h, 4.0 * t * t * d);   // heads are independent: check the first bh of B·H
                var r = RefAttention.Attention(ctx.RefPrefix("q", 1, bh, t, d), ctx.RefPrefix("k", 1, bh, t, d), ctx.RefPrefix("v", 1, bh, t, d), null, ap);
                return Verification.Combine(Verify.ClosePrefix("o", r.O, o), Verify.ClosePrefix("lse", r.Lse, lse));
            }, ctx);
        }, [NoAttention]);

    private static BenchCase AttentionBackward(int b, int h, int t, int d, bool causal) =>
        new(AttentionOp(causal), OpKind.AttentionBackward, $"B{b} H{h} T{t} D{d}", "bwd", Work.AttentionBackward(b, h, t, d, causal), ctx =>
        {
            var ap = new AttentionParams(float.NaN, causal);
            var q = ctx.In("q", [b, h, t, d]); var k = ctx.In("k", [b, h, t, d]); var v = ctx.In("v", [b, h, t, d]);
            var dO = ctx.In("do", [b, h, t, d]);
            var o = ctx.Out(b, h, t, d); var lse = ctx.Out(b, h, t);
            ctx.Device.Kernels.Attention(q, k, v, null, o, lse, ap);
            var dq = ctx.Out(b, h, t, d); var dk = ctx.Out(b, h, t, d); var dv = ctx.Out(b, h, t, d);
            void Run() => ctx.Device.Kernels.AttentionBackward(q, k, v, null, o, lse, dO, dq, dk, dv, ap);
            return new BenchInstance(Run, () =>
            {
                Run();
                int bh = VerifyUnits(b * h, 14.0 * t * t * d);
                RefTensor P(string name) => ctx.RefPrefix(name, 1, bh, t, d);
                var r = RefAttention.AttentionBackward(P("q"), P("k"), P("v"), null, P("do"), ap);
                return Verification.Combine(Verify.ClosePrefix("dq", r.Dq, dq), Verify.ClosePrefix("dk", r.Dk, dk), Verify.ClosePrefix("dv", r.Dv, dv));
            }, ctx);
        }, [NoBackward]);

    private static BenchCase Adam(int n) =>
        new("adam", OpKind.AdamStep, $"{n} params", "fwd", Work.Adam(n), ctx =>
        {
            var ap = new AdamParams(LearningRate: 1e-3f);
            var p = ctx.In("p", [n]); var g = ctx.In("g", [n]); var m = ctx.In("m", [n], -0.1f, 0.1f); var v = ctx.In("v", [n], 0f, 0.01f);
            void Run() => ctx.Device.Kernels.AdamStep(p, g, m, v, ap);
            return new BenchInstance(Run, () =>
            {
                Run();
                var r = RefOptimizer.AdamStep(ctx.Ref("p"), ctx.Ref("g"), ctx.Ref("m"), ctx.Ref("v"), ap);
                return Verification.Combine(Verify.Close("p", r.Param, p, 1e-5), Verify.Close("m", r.M, m, 1e-5), Verify.Close("v", r.V, v, 1e-5));
            }, ctx);
        }, [NoOptimizer]);

    private static BenchCase Momentum(int n) =>
        new("momentum", OpKind.MomentumStep, $"{n} params", "fwd", Work.Momentum(n), ctx =>
        {
            var mp = new MomentumParams(LearningRate: 0.01f, Momentum: 0.9f, Step: 2);
            var p = ctx.In("p", [n]); var g = ctx.In("g", [n]); var v = ctx.In("v", [n], -0.1f, 0.1f);
            void Run() => ctx.Device.Kernels.MomentumStep(p, g, v, mp);
            return new BenchInstance(Run, () =>
            {
                Run();
                var r = RefOptimizer.MomentumStep(ctx.Ref("p"), ctx.Ref("g"), ctx.Ref("v"), mp);
                return Verification.Combine(Verify.Close("p", r.Param, p, 1e-5), Verify.Close("v", r.Velocity, v, 1e-5));
            }, ctx);
        }, [NoOptimizer]);

    private static BenchCase Unary(string name, UnaryOp op, int n, double flopsPerElement, double tol, params BaselineSpec[] baselines) =>
        new(name, OpKind.Unary, $"{n}", "fwd", Work.Unary(n, flopsPerElement), ctx =>
        {
            var x = ctx.In("x", [n], -4, 4); var y = ctx.Out(n);
            void Run() => ctx.Device.Kernels.Unary(op, x, y, default);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefElementwise.Unary(op, ctx.Ref("x")), y, tol); }, ctx, y);
        }, baselines);

    private static BenchCase Add(int n) =>
        new("add", OpKind.Binary, $"{n} + {n}", "fwd", Work.Binary(n), ctx =>
        {
            var a = ctx.In("a", [n]); var b = ctx.In("b", [n]); var c = ctx.Out(n);
            void Run() => ctx.Device.Kernels.Binary(BinaryOp.Add, a, b, c);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("c", RefElementwise.Binary(BinaryOp.Add, ctx.Ref("a"), ctx.Ref("b")), c, 1e-6); }, ctx, c);
        }, [TensorPrimitivesBaseline.Add(), OnnxRuntimeBaseline.Node("Add", ["a", "b"], [("c", [n])])]);
}
