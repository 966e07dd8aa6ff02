namespace Tessera.Kernels;

/// <summary>The gradient an input of a broadcasting op receives: the gradient at the broadcast (output) shape, summed
/// over the axes along which the input was broadcast. Written once over <see cref="IKernels"/> — the device's
/// <see cref="IReductionKernels.Reduce"/> does the sum — so a backend's binary backward supplies only the per-element
/// gradient term.</summary>
public static class BroadcastGradient
{
    /// <summary>The axes of <paramref name="full"/> along which a tensor of shape <paramref name="input"/> (aligned to
    /// the right) was broadcast: the leading axes it lacks and those where it has size 1 and <paramref name="full"/>
    /// does not.</summary>
    public static int[] ReducedAxes(Shape input, Shape full)
    {
        int lead = full.Rank - input.Rank;
        if (lead < 0) throw new TesseraShapeException("BroadcastGradient", nameof(input), $"{input} has more axes than {full}");
        var axes = new List<int>(full.Rank);
        for (int d = 0; d < full.Rank; d++)
            if (d < lead || (input[d - lead] == 1 && full[d] != 1)) axes.Add(d);
        return axes.ToArray();
    }

    /// <summary>grad (contiguous, the shape <paramref name="full"/> was broadcast from) ← <paramref name="full"/> summed
    /// over <see cref="ReducedAxes"/>.</summary>
    public static void SumTo(IKernels kernels, Tensor full, Tensor grad) =>
        kernels.Reduce(ReduceOp.Sum, full, grad, new ReduceParams(ReducedAxes(grad.Shape, full.Shape), KeepDims: true));

    /// <summary>The gradient of one input of c = a ∘ b (<paramref name="side"/> 0: a, 1: b) into
    /// <paramref name="grad"/>, which has that input's shape. <paramref name="term"/> writes the per-element gradient at
    /// dc's shape into the tensor it is given: <paramref name="grad"/> itself when it has dc's shape, otherwise pooled
    /// scratch that is then summed with <see cref="SumTo"/>. Add and Sub with a broadcast input sum dc itself (negated
    /// for Sub's b) without calling <paramref name="term"/>.</summary>
    public static void Binary(IKernels kernels, BinaryOp op, int side, Tensor dc, Tensor grad, Action<Tensor> term)
    {
        if (grad.Shape == dc.Shape)
        {
            term(grad);
            return;
        }
        if (op is BinaryOp.Add or BinaryOp.Sub)
        {
            SumTo(kernels, dc, grad);
            if (op == BinaryOp.Sub && side == 1) kernels.Unary(UnaryOp.Neg, grad, grad, default);
            return;
        }
        using var full = Tensor.Empty(dc.Device, DType.Float32, dc.Shape);
        term(full);
        SumTo(kernels, full, grad);
    }
}
