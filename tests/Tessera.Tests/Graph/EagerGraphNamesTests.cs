using System.Reflection;
using Tessera.Graph;

namespace Tessera.Tests.Graph;

/// <summary>Eager and graph methods use the same op names: a <see cref="GraphBuilder"/> op method has the name of an
/// <see cref="Ops"/> method, and then the eager parameters, by name and in order, with the same defaults (Tensor read as
/// Value), followed by the node's optional <c>name</c>. Each deliberate difference is listed below with its reason.
/// Not compared: nullability (the graph's LayerNorm needs gamma and beta, which the eager one may omit) and results (a
/// graph method returns the op's result; what the eager op also returns for its backward pass, such as MaxPool2d's
/// indices or LayerNorm's statistics, stays in the node).</summary>
public class EagerGraphNamesTests
{
    /// <summary>GraphBuilder members that build the graph rather than name an op.</summary>
    private static readonly HashSet<string> Builder = new()
    {
        nameof(GraphBuilder.Input), nameof(GraphBuilder.Parameter), nameof(GraphBuilder.State), nameof(GraphBuilder.Constant),
        nameof(GraphBuilder.ValueOf), nameof(GraphBuilder.Apply), nameof(GraphBuilder.Apply1), nameof(GraphBuilder.Output),
        nameof(GraphBuilder.Loss), nameof(GraphBuilder.RequiresGrad),
    };

    /// <summary>Graph ops with no eager method of their name.</summary>
    private static readonly Dictionary<string, string> GraphOnly = new()
    {
        // One node that normalises with batch statistics when the plan runs in training mode and with the running
        // statistics otherwise; eager code picks the mode at the call, with BatchNormTraining or BatchNormInference.
        [nameof(GraphBuilder.BatchNorm)] = "the mode is chosen at run time",
        // Marks where autodiff stops; eager code has no autodiff.
        [nameof(GraphBuilder.StopGradient)] = "an autodiff marker",
    };

    /// <summary>Graph ops whose parameters deliberately differ from the eager op of the same name.</summary>
    private static readonly Dictionary<string, string> DifferentParameters = new()
    {
        // Whether a run trains is known at run time only, and each run draws a new mask from the seed and the step
        // (DropoutGraphOp.StepSeed): the graph takes ratio and seed, not a DropoutParams whose Training and Seed it
        // could not honour.
        [nameof(GraphBuilder.Dropout)] = "training and the per-run seed are decided at run time",
        // Graph values are not updated in place, and the learning rate and step count change from run to run: the
        // graph op is the ONNX training operator over n tensors, with the learning rate and step count as values,
        // returning the new tensors. The AdamParams/MomentumParams and their validation are the eager op's.
        [nameof(GraphBuilder.AdamStep)] = "n tensors, functional, learning rate and step as run-time values",
        [nameof(GraphBuilder.MomentumStep)] = "n tensors, functional, learning rate and step as run-time values",
    };

    /// <summary>Eager parameters a graph node has no use for: an existing tensor the eager op may write its result into
    /// (a node always writes a value of its own).</summary>
    private static readonly HashSet<(string Method, string Parameter)> EagerOnly = new()
    {
        (nameof(Ops.Gemm), "c"),
    };

    private static readonly MethodInfo[] Graph = typeof(GraphBuilder)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Where(m => !m.IsSpecialName && !Builder.Contains(m.Name)).ToArray();

    private static readonly ILookup<string, MethodInfo> Eager = typeof(Ops)
        .GetMethods(BindingFlags.Public | BindingFlags.Static).ToLookup(m => m.Name);

    /// <summary>A parameter as compared: its name, its type with Tensor read as Value, and its default (if any).</summary>
    private static string Describe(ParameterInfo p) =>
        $"{TypeName(AsGraph(p.ParameterType))} {p.Name}{(p.HasDefaultValue ? $" = {p.DefaultValue ?? "null"}" : "")}";

    private static string TypeName(Type t) => t.IsGenericType
        ? $"{t.Name[..t.Name.IndexOf('`')]}<{string.Join(", ", t.GetGenericArguments().Select(TypeName))}>"
        : t.Name;

    private static Type AsGraph(Type t)
    {
        if (t == typeof(Tensor)) return typeof(Value);
        if (t.IsArray) return AsGraph(t.GetElementType()!).MakeArrayType();
        if (t.IsGenericType) return t.GetGenericTypeDefinition().MakeGenericType(t.GetGenericArguments().Select(AsGraph).ToArray());
        return t;
    }

    private static string Signature(IEnumerable<ParameterInfo> ps) => string.Join(", ", ps.Select(Describe));

    /// <summary>The graph method's parameters without the trailing node name.</summary>
    private static string GraphSignature(MethodInfo m)
    {
        var ps = m.GetParameters();
        bool named = ps.Length > 0 && ps[^1] is { Name: "name" } last && last.ParameterType == typeof(string);
        return Signature(named ? ps[..^1] : ps);
    }

    private static string EagerSignature(MethodInfo m) => Signature(m.GetParameters().Where(p => !EagerOnly.Contains((m.Name, p.Name!))));

    [Fact]
    public void EveryGraphOpHasTheEagerNameAndParameters()
    {
        var problems = new List<string>();
        foreach (var m in Graph)
        {
            bool eager = Eager.Contains(m.Name);
            if (GraphOnly.ContainsKey(m.Name))
            {
                if (eager) problems.Add($"GraphBuilder.{m.Name} is listed as graph-only, but Ops.{m.Name} exists");
                continue;
            }
            if (!eager)
            {
                problems.Add($"GraphBuilder.{m.Name} has no Ops.{m.Name}: name it as the eager op does, or list it in GraphOnly with the reason");
                continue;
            }
            string graph = GraphSignature(m);
            var eagerSignatures = Eager[m.Name].Select(EagerSignature).ToList();
            bool same = eagerSignatures.Contains(graph);
            if (DifferentParameters.ContainsKey(m.Name))
            {
                if (same) problems.Add($"GraphBuilder.{m.Name} is listed in DifferentParameters, but its parameters are the eager ones");
            }
            else if (!same)
                problems.Add($"GraphBuilder.{m.Name}({graph}) differs from Ops.{m.Name}({string.Join(") / (", eagerSignatures)})");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheAllowListsNameExistingGraphMethods()
    {
        var names = typeof(GraphBuilder).GetMethods().Select(m => m.Name).ToHashSet();
        Assert.All(Builder.Concat(GraphOnly.Keys).Concat(DifferentParameters.Keys), n => Assert.Contains(n, names));
        Assert.All(EagerOnly, e => Assert.Contains(Eager[e.Method], m => m.GetParameters().Any(p => p.Name == e.Parameter)));
    }

    [Fact]
    public void TheComparisonSeesNamesOrderAndDefaults()
    {
        // Ops.Concat(inputs, axis = 0): a graph method taking (axis, inputs), or another default, would not match.
        var concat = EagerSignature(Eager[nameof(Ops.Concat)].Single());
        Assert.Equal("IReadOnlyList<Value> inputs, Int32 axis = 0", concat);
        Assert.Equal(concat, GraphSignature(typeof(GraphBuilder).GetMethod(nameof(GraphBuilder.Concat))!));
        Assert.Equal("Value dy, Shape xShape", GraphSignature(typeof(GraphBuilder).GetMethod(nameof(GraphBuilder.ExpandBackward))!));
    }
}
