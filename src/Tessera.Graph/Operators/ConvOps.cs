using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>2-D convolution x [N, C, H, W] * w [O, C/G, KH, KW] (+ b [O]).</summary>
public sealed class Conv2dGraphOp(Conv2dParams p) : GraphOp
{
    public Conv2dParams Params => p;
    public override string Kind => "Conv2d";
    public override string Describe() => $"Conv2d[s{p.StrideH}x{p.StrideW} p{p.PadTop},{p.PadLeft},{p.PadBottom},{p.PadRight} d{p.DilationH}x{p.DilationW} g{p.Groups}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.CountBetween(node, inputs, 2, 3);
        foreach (var v in inputs) GraphChecks.Float32(node, v, v.Name);
        var y = ShapeRules.Conv2d(inputs[0].Shape, inputs[1].Shape, p, node);
        if (inputs.Count > 2 && (inputs[2].Shape.Rank != 1 || inputs[2].Shape[0] != y[1]))
            throw new TesseraShapeException(node, "bias", $"expected [{y[1]}], got {inputs[2]}");
        return new[] { new OutputSpec(y, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.Conv2d(i[0]!, i[1]!, i.Count > 2 ? i[2] : null, o[0], p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var dy = dOut[0]!;
        Value x = n.Inputs[0], w = n.Inputs[1];
        var dx = g.RequiresGrad(x) ? g.Apply1(new Conv2dBackwardDataOp(p, x.Shape), $"d_{n.Name}_x", dy, w) : null;
        var dw = g.RequiresGrad(w) ? g.Apply1(new Conv2dBackwardWeightOp(p, w.Shape), $"d_{n.Name}_w", x, dy) : null;
        if (n.Inputs.Count == 2) return new[] { dx, dw };
        var db = g.RequiresGrad(n.Inputs[2]) ? g.Apply1(new Conv2dBackwardBiasOp(), $"d_{n.Name}_b", dy) : null;
        return new[] { dx, dw, db };
    }

    public override double Flops(Node n)
    {
        var w = n.Inputs[1].Shape;
        return 2.0 * n.Outputs[0].Shape.ElementCount * w[1] * w[2] * w[3];
    }
}

/// <summary>dx of a convolution (inputs dy, w).</summary>
public sealed class Conv2dBackwardDataOp(Conv2dParams p, Shape xShape) : GraphOp
{
    public override string Kind => "Conv2dBackwardData";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(xShape, DType.Float32) };
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Conv2dBackwardData(i[0]!, i[1]!, o[0], p);

    public override double Flops(Node n)
    {
        var w = n.Inputs[1].Shape;
        return 2.0 * n.Inputs[0].Shape.ElementCount * w[1] * w[2] * w[3];
    }
}

/// <summary>dw of a convolution (inputs x, dy).</summary>
public sealed class Conv2dBackwardWeightOp(Conv2dParams p, Shape wShape) : GraphOp
{
    public override string Kind => "Conv2dBackwardWeight";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(wShape, DType.Float32) };
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Conv2dBackwardWeight(i[0]!, i[1]!, o[0], p);
    public override double Flops(Node n) => 2.0 * n.Inputs[1].Shape.ElementCount * wShape[1] * wShape[2] * wShape[3];
}

/// <summary>db of a convolution (input dy).</summary>
public sealed class Conv2dBackwardBiasOp : GraphOp
{
    public override string Kind => "Conv2dBackwardBias";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(new Shape(inputs[0].Shape[1]), DType.Float32) };
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Conv2dBackwardBias(i[0]!, o[0]);
}

/// <summary>Max or average pooling over NCHW. Max pooling also outputs the int64 argmax indices for its gradient.</summary>
public sealed class Pool2dGraphOp(bool max, Pool2dParams p) : GraphOp
{
    public override string Kind => max ? "MaxPool2d" : "AvgPool2d";
    public override string Describe() => $"{Kind}[k{p.KernelH}x{p.KernelW} s{p.StrideH}x{p.StrideW}{(p.CeilMode ? " ceil" : "")}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        var y = ShapeRules.Pool2d(inputs[0].Shape, p, node);
        return max ? new[] { new OutputSpec(y, DType.Float32), new OutputSpec(y, DType.Int64) } : new[] { new OutputSpec(y, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        if (max) ctx.Kernels.MaxPool2d(i[0]!, o[0], o[1], p);
        else ctx.Kernels.AvgPool2d(i[0]!, o[0], p);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[]
    {
        max
            ? g.Apply1(new Pool2dBackwardOp(true, p, n.Inputs[0].Shape), $"d_{n.Name}", dOut[0]!, n.Outputs[1])
            : g.Apply1(new Pool2dBackwardOp(false, p, n.Inputs[0].Shape), $"d_{n.Name}", dOut[0]!),
    };

    public override double Flops(Node n) => (double)n.Outputs[0].Shape.ElementCount * p.KernelH * p.KernelW;
}

/// <summary>dx of pooling (inputs dy and, for max pooling, the indices).</summary>
public sealed class Pool2dBackwardOp(bool max, Pool2dParams p, Shape xShape) : GraphOp
{
    public override string Kind => max ? "MaxPool2dBackward" : "AvgPool2dBackward";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(xShape, DType.Float32) };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        if (max) ctx.Kernels.MaxPool2dBackward(i[0]!, i[1]!, o[0], p);
        else ctx.Kernels.AvgPool2dBackward(i[0]!, o[0], p);
    }
}
