namespace Tessera.Kernels;

/// <summary>An op's gradient relation: differentiable through backward kernels (<see cref="By"/>), not differentiable
/// with a reason (<see cref="None"/>), or itself a gradient kernel (<see cref="GradientOf"/>; Tessera takes no second
/// derivatives).</summary>
public sealed record OpGradient
{
    private OpGradient(IReadOnlyList<OpKind> kernels, string? reason, string? of)
    {
        Kernels = kernels;
        Reason = reason;
        Of = of;
    }

    /// <summary>The kernels the op's backward pass runs (empty unless <see cref="IsDifferentiable"/>).</summary>
    public IReadOnlyList<OpKind> Kernels { get; }

    /// <summary>Why the op has no gradient (null unless declared by <see cref="None"/>).</summary>
    public string? Reason { get; }

    /// <summary>For a gradient kernel, the forward op it differentiates (an <see cref="OpKind"/> name, or a view op
    /// such as Expand that needs no forward kernel); null otherwise.</summary>
    public string? Of { get; }

    /// <summary>Whether the op has a gradient (its backward runs <see cref="Kernels"/>).</summary>
    public bool IsDifferentiable => Kernels.Count > 0;
    /// <summary>Whether this op is itself the gradient of another (<see cref="Of"/>).</summary>
    public bool IsBackward => Of is not null;

    /// <summary>Differentiable: the backward pass runs <paramref name="kernels"/>.</summary>
    public static OpGradient By(params OpKind[] kernels) =>
        kernels.Length > 0 ? new(kernels, null, null) : throw new ArgumentException("a gradient needs at least one kernel", nameof(kernels));

    /// <summary>Not differentiable, because of <paramref name="reason"/>.</summary>
    public static OpGradient None(string reason) => new(Array.Empty<OpKind>(), reason, null);

    /// <summary>A gradient kernel of <paramref name="forward"/>.</summary>
    public static OpGradient GradientOf(string forward) => new(Array.Empty<OpKind>(), null, forward);

    /// <summary>What the gradient is, as one line.</summary>
    public override string ToString() =>
        IsDifferentiable ? $"gradient by {string.Join(", ", Kernels)}" : IsBackward ? $"gradient of {Of}" : $"no gradient: {Reason}";
}
