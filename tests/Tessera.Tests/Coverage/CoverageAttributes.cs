using Tessera.Kernels;

namespace Tessera.Tests.Coverage;

/// <summary>Marks a conformance test (a kernel on the target device against Tessera.Reference) with the kinds it
/// covers. <see cref="OpCoverageTests"/> collects the marks by reflection: every <see cref="OpKind"/> needs one, and the
/// op-enum values (<see cref="UnaryOp"/>, ...) of a kind must each appear in the rows of its marked theories.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CoversAttribute(params OpKind[] kinds) : Attribute
{
    public IReadOnlyList<OpKind> Kinds { get; } = kinds;
}

/// <summary>Marks a finite-difference test of the reference's gradient of these (forward) kinds. Every differentiable
/// kind (<see cref="OpGradient.IsDifferentiable"/>) needs one, and its op-enum values must each appear in the rows of
/// its marked theories.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ChecksGradientAttribute(params OpKind[] kinds) : Attribute
{
    public IReadOnlyList<OpKind> Kinds { get; } = kinds;
}
