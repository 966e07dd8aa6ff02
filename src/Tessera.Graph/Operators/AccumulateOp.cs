namespace Tessera.Graph.Operators;

/// <summary>Sum of two same-shaped gradients (where a value feeds several nodes). Runs in place on its first input.</summary>
public sealed class AccumulateOp : GraphOp
{
    public override string Kind => "Accumulate";
    public override int InPlaceInput => 0;

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        if (inputs.Count != 2 || inputs[0].Shape != inputs[1].Shape)
            throw new TesseraShapeException(node, "inputs", $"Accumulate needs two inputs of one shape, got {string.Join(", ", inputs)}");
        return new[] { new OutputSpec(inputs[0].Shape, inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Binary(Kernels.BinaryOp.Add, inputs[0]!, inputs[1]!, outputs[0]);

    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        new[] { outputGrads[0], outputGrads[0] };

    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}
