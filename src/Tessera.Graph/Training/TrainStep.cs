using Tessera.Graph.Execution;
using Tessera.Graph.Nn;

namespace Tessera.Graph.Training;

/// <summary>One input of a <see cref="TrainStep"/>: its name, element type and the shape of one sample (the batch
/// dimension is added in front, per call).</summary>
/// <param name="Name">The name the batch is fed under and the loss function finds the value under.</param>
/// <param name="DType">The element type.</param>
/// <param name="SampleShape">The dimensions of one sample (empty for a scalar per sample, such as a class label).</param>
public sealed record TrainInput(string Name, DType DType, params int[] SampleShape);

/// <summary>A training step as short as an eager framework's: the loss is any scalar the caller builds from the inputs
/// (<c>(g, v) =&gt; g.CrossEntropy(model.Forward(g, v["x"]), v["y"])</c>); its gradients with respect to the optimizer's
/// parameters come from <see cref="Autodiff"/>, and each <see cref="Run"/> feeds a batch, runs forward and backward in
/// training mode and steps the optimizer. A plan is compiled per batch size and kept, so a partial last batch runs as
/// it is (its mean loss is over its own samples). Gradients are computed afresh by every run: there is nothing to zero.</summary>
public sealed class TrainStep : IDisposable
{
    private readonly Module _model;
    private readonly Func<GraphBuilder, IReadOnlyDictionary<string, Value>, Value> _loss;
    private readonly TrainInput[] _inputs;
    private readonly Dictionary<int, Compiled> _plans = new();

    private sealed record Compiled(ExecutionPlan Plan, Value Loss, (string Name, Tensor Param, Tensor Grad)[] Grads);

    /// <param name="model">The module trained (its state, such as batch-norm statistics, is updated in training mode).</param>
    /// <param name="optimizer">An optimizer built over the parameters to train (<c>new Adam(model.Parameters(), lr: 1e-3)</c>).</param>
    /// <param name="loss">Builds the scalar Float32 loss from the inputs' graph values, by name.</param>
    /// <param name="inputs">The inputs fed at each run.</param>
    public TrainStep(Module model, Optimizer optimizer, Func<GraphBuilder, IReadOnlyDictionary<string, Value>, Value> loss, params TrainInput[] inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(inputs);
        if (optimizer.Parameters.Count == 0)
            throw new TesseraArgumentException("TrainStep", nameof(optimizer), "the optimizer has no parameters: build it over them (new Adam(model.Parameters(), lr: 1e-3))");
        if (inputs.Length == 0) throw new TesseraArgumentException("TrainStep", nameof(inputs), "no inputs");
        if (inputs.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count() != inputs.Length)
            throw new TesseraArgumentException("TrainStep", nameof(inputs), "input names must be distinct");
        _model = model;
        Optimizer = optimizer;
        _loss = loss;
        _inputs = inputs;
    }

    /// <summary>The optimizer stepped by each run.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The batch sizes a plan has been compiled for.</summary>
    public IReadOnlyCollection<int> BatchSizes => _plans.Keys;

    /// <summary>Feeds one batch (every input, by name; each array holds n samples, n the same for all), runs forward and
    /// backward, steps the optimizer and returns the loss. Arrays are float[], long[], int[], byte[] or bool[] matching
    /// the input's element type.</summary>
    public float Run(params ReadOnlySpan<(string Name, Array Data)> batch)
    {
        const string op = "TrainStep.Run";
        int n = -1;
        foreach (var input in _inputs)
        {
            var data = Find(batch, input.Name, op);
            long sample = input.SampleShape.Aggregate(1L, (a, d) => a * d);
            if (sample == 0 || data.Length % sample != 0)
                throw new TesseraShapeException(op, input.Name, $"{data.Length} elements are not whole samples of [{string.Join(", ", input.SampleShape)}]");
            int count = checked((int)(data.Length / sample));
            if (n >= 0 && count != n) throw new TesseraShapeException(op, input.Name, $"holds {count} samples, '{_inputs[0].Name}' holds {n}");
            n = count;
        }
        if (n == 0) throw new TesseraShapeException(op, _inputs[0].Name, "the batch is empty");
        foreach (var (name, _) in batch)
            if (!_inputs.Any(i => i.Name == name)) throw new TesseraArgumentException(op, name, "is not an input of this step");
        if (!_plans.TryGetValue(n, out var c)) _plans[n] = c = Compile(n);
        foreach (var input in _inputs) Upload(c.Plan.Input(input.Name), Find(batch, input.Name, op), input.Name, op);
        c.Plan.Context.Training = true;
        c.Plan.Context.Step = Optimizer.StepCount;
        c.Plan.Run();
        Optimizer.Step(c.Grads);
        return c.Plan[c.Loss].Item<float>();
    }

    private static Array Find(ReadOnlySpan<(string Name, Array Data)> batch, string name, string op)
    {
        foreach (var (n, d) in batch)
            if (n == name) return d ?? throw new TesseraArgumentException(op, name, "is null");
        throw new TesseraArgumentException(op, name, "was not fed");
    }

    private static void Upload(Tensor t, Array data, string name, string op)
    {
        switch (data)
        {
            case float[] f when t.DType == DType.Float32: t.CopyFrom<float>(f); break;
            case long[] l when t.DType == DType.Int64: t.CopyFrom<long>(l); break;
            case int[] i when t.DType == DType.Int32: t.CopyFrom<int>(i); break;
            case byte[] b when t.DType == DType.UInt8: t.CopyFrom<byte>(b); break;
            case bool[] b when t.DType == DType.Bool: t.CopyFrom<bool>(b); break;
            default: throw new TesseraDTypeException(op, name, $"fed {data.GetType().Name}, the input is {t.DType}");
        }
    }

    private Compiled Compile(int n)
    {
        var g = new GraphBuilder();
        var parameters = Optimizer.Parameters.Select(p => (p.Name, p.Tensor, Value: g.Parameter(p.Name, p.Tensor))).ToArray();
        foreach (var (name, t) in _model.State()) g.State(name, t);
        var values = _inputs.ToDictionary(i => i.Name, i => g.Input(i.Name, i.DType, [n, .. i.SampleShape]), StringComparer.Ordinal);
        var loss = g.Loss(_loss(g, values));
        var grads = Autodiff.AppendBackward(g, loss, parameters.Select(p => p.Value));
        var plan = ExecutionPlan.Compile(g.Graph, parameters[0].Tensor.Device);
        return new Compiled(plan, loss, parameters.Select(p => (p.Name, p.Tensor, plan[grads[p.Value]])).ToArray());
    }

    /// <summary>Releases the compiled plans (the module and the optimizer are the caller's).</summary>
    public void Dispose()
    {
        foreach (var c in _plans.Values) c.Plan.Dispose();
        _plans.Clear();
    }
}
