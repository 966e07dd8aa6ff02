namespace Tessera;

/// <summary>What the argument rules need to know of a tensor: its shape and element type. Eager tensors
/// (<see cref="Tensor.Spec"/>) and graph values both provide one, so one rule validates an op in either mode.</summary>
public readonly record struct TensorSpec(Shape Shape, DType DType)
{
    /// <summary>Short form, e.g. <c>f32[2, 3]</c>.</summary>
    public override string ToString() => $"{DType.ShortName()}{Shape}";
}
