using System.Reflection;
using Tessera.Bench;
using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Onnx.Import;
using Tessera.Tests.Conformance;
using Tessera.Tests.Gpu;
using Tessera.Tests.Reference;

namespace Tessera.Tests.Coverage;

/// <summary>What every op must have, checked for each value of <see cref="OpKind"/> and of the op enums: a reference, a
/// CPU kernel, a GPU kernel, a gradient rule (reference backward, finite-difference case, graph gradient) where the op
/// is differentiable, a conformance case (one per fused-epilogue activation where the kind has one), a bench case or a
/// reason, and an ONNX mapping or a reason. Each problem is
/// one line naming the op and everything it lacks.</summary>
internal sealed class OpCoverage(IDevice cpu, IDevice? gpu)
{
    private const string ConformanceNs = "Tessera.Tests.Conformance", GradientNs = "Tessera.Tests.Reference";

    private readonly ILookup<OpKind, MethodInfo> _covers = TheoryRows.Marked<CoversAttribute>(a => a.Kinds);
    private readonly ILookup<OpKind, MethodInfo> _gradients = TheoryRows.Marked<ChecksGradientAttribute>(a => a.Kinds);
    private readonly IReadOnlyList<BenchCase> _bench = BenchCatalog.Cases(BenchSize.Small);
    private readonly HashSet<Enum> _lowered = OnnxImporter.Operators.SelectMany(o => o.Lowers).ToHashSet();

    /// <summary>The kinds whose parameters carry a fused <see cref="Epilogue"/>: each activation needs a conformance row.</summary>
    private static readonly OpKind[] FusedEpilogueKinds = [OpKind.Conv2d, OpKind.Gemm];

    /// <summary>The op enums whose values are operations with an ONNX counterpart (the others are modes of a kind).</summary>
    private static bool IsOperation(Enum v) => v is OpKind or UnaryOp or BinaryOp or CompareOp or ReduceOp;

    private static readonly Dictionary<OpFamily, Type> Families = new()
    {
        [OpFamily.Core] = typeof(ICoreKernels), [OpFamily.Elementwise] = typeof(IElementwiseKernels),
        [OpFamily.Reduction] = typeof(IReductionKernels), [OpFamily.Linalg] = typeof(ILinalgKernels),
        [OpFamily.Conv] = typeof(IConvKernels), [OpFamily.Norm] = typeof(INormKernels),
        [OpFamily.Attention] = typeof(IAttentionKernels), [OpFamily.Optimizer] = typeof(IOptimizerKernels),
        [OpFamily.Shape] = typeof(IShapeKernels),
    };

    public List<string> Problems()
    {
        var problems = new List<string>();
        try { _ = OpTable.All; }
        catch (TypeInitializationException e) { return new() { $"OpTable: {e.InnerException?.Message}" }; }
        problems.AddRange(TheoryRows.Misplaced<CoversAttribute>(ConformanceNs));
        problems.AddRange(TheoryRows.Misplaced<ChecksGradientAttribute>(GradientNs));
        foreach (var m in typeof(IKernels).GetInterfaces().SelectMany(i => i.GetMethods()).Where(m => !m.IsSpecialName))
            if (!Enum.TryParse<OpKind>(m.Name, out _)) problems.Add($"{m.DeclaringType!.Name}.{m.Name}: no OpKind of that name");
        foreach (var v in _lowered.Concat(OnnxImporter.NotImported.Keys))
            if (!IsOperation(v) || v is OpKind k && OpTable.Get(k).Gradient.IsBackward)
                problems.Add($"ONNX: {v.GetType().Name}.{v} is no forward Tessera op (OnnxImporter's table or NotImported)");
        foreach (var kind in Enum.GetValues<OpKind>()) Report(problems, kind, Missing(kind, OpTable.Get(kind)));
        foreach (var type in EnumProbes.Kinds.Keys)
            foreach (Enum value in Enum.GetValues(type)) Report(problems, value, Missing(value));
        return problems;
    }

    private static void Report(List<string> problems, Enum op, IEnumerable<string> missing)
    {
        var list = missing.ToList();
        if (list.Count > 0) problems.Add($"{op.GetType().Name}.{op}: {string.Join("; ", list)}");
    }

    private static string? OnDevice(Action<IDevice> call, IDevice d) => OpProbes.Run(() =>
    {
        call(d);
        d.DefaultStream.Synchronize();
    });

    private IEnumerable<string> Missing(OpKind kind, OpInfo info)
    {
        var family = Families[info.Family];
        if (family.GetMethod(kind.ToString()) is null) yield return $"no method {kind} on {family.Name}";
        if (!OpProbes.All.TryGetValue(kind, out var probe)) yield return "no reference and kernel probe (Coverage/OpProbes)";
        else
        {
            if (OpProbes.Run(probe.Reference) is { } r) yield return $"reference: {r}";
            if (OnDevice(probe.Kernel, cpu) is { } c) yield return $"CPU kernel: {c}";
            if (gpu is not null && OnDevice(probe.Kernel, gpu) is { } g) yield return $"GPU kernel: {g}";
        }
        var grad = info.Gradient;
        if (grad.IsDifferentiable)
        {
            if (!_gradients[kind].Any()) yield return $"no finite-difference test ([ChecksGradient] in {GradientNs})";
            if (!GraphProbes.Forward.TryGetValue(kind, out var forward)) yield return "no graph probe (Coverage/GraphProbes)";
            else if (OpProbes.Run(() => GraphProbes.Differentiate(forward)) is { } e) yield return $"graph gradient: {e}";
        }
        else if (grad.IsBackward && Enum.TryParse<OpKind>(grad.Of, out var fwd) && !OpTable.Get(fwd).Gradient.Kernels.Contains(kind))
            yield return $"a gradient of {fwd} that is not among {fwd}'s gradient kernels";
        if (!_covers[kind].Any()) yield return $"no conformance test ([Covers] in {ConformanceNs})";
        if (FusedEpilogueKinds.Contains(kind))
            foreach (var act in Epilogue.Activations.Where(a => !TheoryRows.Mention(_covers[kind], a)))
                yield return $"no conformance case of its fused epilogue {act}";
        bool benched = _bench.Any(c => c.Kind == kind), exempt = BenchCatalog.NotBenched.ContainsKey(kind);
        if (!benched && !exempt) yield return "no bench case (nor a reason in BenchCatalog.NotBenched)";
        if (benched && exempt) yield return "a bench case and a reason in BenchCatalog.NotBenched";
        bool lowered = grad.IsBackward ? OnnxImporter.Operators.Any(o => o is { Domain: OnnxImporter.TrainingDomain, OpType: "Gradient" })
            : _lowered.Contains(kind) || _lowered.Any(v => v is not OpKind && EnumProbes.Kinds.TryGetValue(v.GetType(), out var ks) && ks[0] == kind);
        foreach (var line in OnnxMapping(kind, lowered)) yield return line;
    }

    private IEnumerable<string> Missing(Enum value)
    {
        var kinds = EnumProbes.Kinds[value.GetType()];
        if (OpProbes.Run(() => EnumProbes.Reference(value)) is { } r) yield return $"reference: {r}";
        if (OnDevice(d => EnumProbes.Kernel(value, d), cpu) is { } c) yield return $"CPU kernel: {c}";
        if (PortableSource.Codes.TryGetValue(value.GetType(), out var source))
        {
            if (PortableSource.CodeOf(value) != Convert.ToInt32(value))
                yield return $"GPU kernel: no '#define {PortableSource.CodeName(value)} {Convert.ToInt32(value)}' in {source.File}";
            foreach (var s in PortableSource.SwitchesWithoutCase(value)) yield return $"GPU kernel: no case in {s}";
        }
        if (gpu is not null && OnDevice(d => EnumProbes.Kernel(value, d), gpu) is { } g) yield return $"GPU kernel: {g}";
        foreach (var k in kinds.Where(k => OpTable.Get(k).Gradient.IsDifferentiable))
            if (!TheoryRows.Mention(_gradients[k], value)) yield return $"no finite-difference case of {k}";
        if (value is UnaryOp u && !ElementwiseGradTests.UnaryParameters.ContainsKey(u)) yield return "no finite-difference parameters (ElementwiseGradTests.UnaryParameters)";
        if (value is BinaryOp b && !ElementwiseGradTests.BinaryRanges.ContainsKey(b)) yield return "no finite-difference ranges (ElementwiseGradTests.BinaryRanges)";
        if (EnumProbes.Gradient(value) is { } gradient && OpProbes.Run(gradient) is { } ge) yield return $"graph gradient: {ge}";
        foreach (var k in kinds)
            if (value is OptimizerMode m ? !OptimizerTests.Formulas.Contains((k, m)) : !TheoryRows.Mention(_covers[k], value))
                yield return $"no conformance case of {k}";
        if (value is UnaryOp u2 && !ElementwiseTests.UnaryParameters.ContainsKey(u2)) yield return "no conformance parameters (ElementwiseTests.UnaryParameters)";
        if (value is BinaryOp b2 && !ElementwiseTests.BinaryRanges.ContainsKey(b2)) yield return "no conformance ranges (ElementwiseTests.BinaryRanges)";
        if (IsOperation(value))
            foreach (var line in OnnxMapping(value, _lowered.Contains(value))) yield return line;
    }

    private static IEnumerable<string> OnnxMapping(Enum op, bool lowered)
    {
        bool declared = OnnxImporter.NotImported.ContainsKey(op);
        if (!lowered && !declared) yield return "no ONNX mapping (an operator of OnnxImporter's table lowering to it, or a reason in OnnxImporter.NotImported)";
        if (lowered && declared) yield return "an ONNX operator lowers to it, yet OnnxImporter.NotImported lists it";
    }
}
