using Tessera.Devices;

using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Optimization;
using Tessera.Kernels;

namespace Tessera.Graph.Training;

/// <summary>Classification training of a module: a training plan (forward, cross-entropy, backward) and an inference
/// plan share the module's tensors; each step feeds a batch, runs the plan, clips and applies the optimizer. Both plans
/// run their graphs through the <see cref="GraphOptimizer"/> at the level given (a graph that trains gets the exact
/// passes only, so training is the same bit for bit).</summary>
public sealed class Trainer : IDisposable
{
    private readonly Module _model;
    private readonly IDevice _device;
    private readonly int[] _sampleShape;
    private readonly ExecutionPlan _train;
    private readonly (string Name, Tensor Param, Tensor Grad)[] _steps;
    private readonly Value _loss, _trainLogits;
    private readonly Dictionary<int, (ExecutionPlan Plan, Value Logits)> _eval = new();
    private readonly List<OptimizationResult> _optimized = new();
    private readonly int[][] _readyAfter = [];          // per schedule position, the gradients that node completes
    private readonly Action<int>? _afterNode;           // tells the reducer, after each node (null: no reducer)

    /// <summary>A trainer of <paramref name="model"/> on <paramref name="device"/> for batches of <paramref name="batch"/> samples of <paramref name="sampleShape"/>: cross-entropy loss, gradients clipped to a global norm of <paramref name="clipNorm"/> (0: none), reduced by <paramref name="reducer"/> across ranks when given, then <paramref name="optimizer"/>'s step.</summary>
    public Trainer(Module model, IDevice device, int batch, int[] sampleShape, Optimizer optimizer, float clipNorm = 0,
        OptimizationLevel optimization = OptimizationLevel.None, IGradientReducer? reducer = null)
    {
        Reducer = reducer;
        Optimization = optimization;
        _model = model;
        _device = device;
        _sampleShape = sampleShape;
        Optimizer = optimizer;
        ClipNorm = clipNorm;
        Batch = batch;
        var g = new GraphBuilder();
        var parameters = model.Parameters().Select(p => (p.Name, p.Tensor, Value: g.Parameter(p.Name, p.Tensor))).ToArray();
        foreach (var (n, t) in model.State()) g.State(n, t);
        var x = g.Input("x", DType.Float32, [batch, .. sampleShape]);
        var y = g.Input("y", DType.Int64, batch);
        _trainLogits = model.Forward(g, x);
        _loss = g.Loss(g.CrossEntropy(_trainLogits, y, name: "loss"));
        g.Output(_trainLogits);
        var grads = Autodiff.AppendBackward(g, _loss, parameters.Select(p => p.Value));
        var optimized = GraphOptimizer.Optimize(g.Graph, optimization);
        _optimized.Add(optimized);
        Graph = optimized.Graph;
        _train = ExecutionPlan.Compile(Graph, device);
        _loss = optimized.Map(_loss);
        _trainLogits = optimized.Map(_trainLogits);
        _steps = parameters.Select(p => (p.Name, p.Tensor, _train[optimized.Map(grads[p.Value])])).ToArray();
        if (reducer is not null)
        {
            // Which gradients each node completes: the reducer hears of them as the backward pass issues that node.
            var position = new Dictionary<Value, int>();
            for (int s = 0; s < _train.Schedule.Count; s++)
                foreach (var o in _train.Schedule[s].Outputs) position[o] = s;
            _readyAfter = new int[_train.Schedule.Count][];
            var lists = new List<int>?[_train.Schedule.Count];
            for (int i = 0; i < parameters.Length; i++)
                if (position.TryGetValue(optimized.Map(grads[parameters[i].Value]), out int s)) (lists[s] ??= new List<int>()).Add(i);
            for (int s = 0; s < lists.Length; s++) _readyAfter[s] = lists[s]?.ToArray() ?? [];
            _afterNode = s => { foreach (int i in _readyAfter[s]) reducer.GradientReady(i); };
        }
    }

    /// <summary>The training graph as it runs (after optimization).</summary>
    public ComputeGraph Graph { get; }

    /// <summary>The graph optimizer's level for the training and inference plans.</summary>
    public OptimizationLevel Optimization { get; }
    /// <summary>The plan of the training step (forward, backward, loss).</summary>
    public ExecutionPlan TrainPlan => _train;
    /// <summary>The optimizer that steps the parameters.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>The global gradient-norm bound (0: no clipping).</summary>
    public float ClipNorm { get; }
    /// <summary>The batch size the training plan is compiled for.</summary>
    public int Batch { get; }

    /// <summary>Combines each step's gradients across processes before clipping and the optimizer (null: none).</summary>
    public IGradientReducer? Reducer { get; }

    /// <summary>When the training plan profiles (<see cref="ExecutionPlan.Profile"/>), the work of the last step after
    /// the plan's nodes — gradient clipping and the optimizer step — timed to completion, for the trace.</summary>
    public IReadOnlyList<TraceSpan> LastStepSpans => _spans;
    private readonly List<TraceSpan> _spans = new();

    /// <summary>One optimisation step on a batch; returns the mean loss.</summary>
    public float Step(ReadOnlySpan<float> x, ReadOnlySpan<long> y)
    {
        _train.Input("x").CopyFrom(x);
        _train.Input("y").CopyFrom(y);
        _train.Context.Training = true;
        _train.Context.Step = Optimizer.StepCount;
        _spans.Clear();
        Reducer?.BeginStep(_steps);
        _train.Run(_afterNode);
        if (!_train.Profile)
        {
            Reducer?.Reduce(_steps);
            if (ClipNorm > 0) ClipGradients(ClipNorm);
            Optimizer.Step(_steps);
            return _train[_loss].Item<float>();
        }
        // Profiled: the spans continue the plan's timeline from the end of its last node.
        int last = _train.Schedule.Count - 1;
        double at = last < 0 ? 0 : _train.NodeStartMilliseconds[last] + _train.NodeMilliseconds[last];
        if (Reducer is { } reducer) at = Timed("reduce gradients", "communication", at, () => reducer.Reduce(_steps));
        if (ClipNorm > 0) at = Timed("clip gradients", "optimizer", at, () => ClipGradients(ClipNorm));
        string name = Optimizer.GetType().Name.Replace("Optimizer", "", StringComparison.Ordinal).ToLowerInvariant();
        Timed($"optimizer step ({name})", "optimizer", at, () => Optimizer.Step(_steps));
        return _train[_loss].Item<float>();
    }

    /// <summary>Runs <paramref name="work"/> to completion on the plan's stream and records it as a span starting at
    /// <paramref name="startMs"/>; returns where the next span starts.</summary>
    private double Timed(string name, string category, double startMs, Action work)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        work();
        _train.Stream.Synchronize();
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        _spans.Add(new TraceSpan(name, category, startMs, ms));
        return startMs + ms;
    }

    /// <summary>Scales all gradients so that their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm.</summary>
    public double ClipGradients(float maxNorm)
    {
        double sq = 0;
        foreach (var (_, _, grad) in _steps)
        {
            using var s2 = Ops.Mul(grad, grad);
            using var s = Ops.Sum(s2);
            sq += s.Item<float>();
        }
        double norm = Math.Sqrt(sq);
        if (norm > maxNorm)
        {
            float scale = (float)(maxNorm / (norm + 1e-6));
            foreach (var (_, _, grad) in _steps) grad.Device.Kernels.Unary(UnaryOp.Affine, grad, grad, new UnaryParams(scale, 0));
        }
        return norm;
    }

    /// <summary>Logits of a batch in inference mode (running statistics, no dropout). The span holds n samples.</summary>
    public Tensor Predict(ReadOnlySpan<float> x, int n)
    {
        if (!_eval.TryGetValue(n, out var e))
        {
            var g = new GraphBuilder();
            foreach (var (name, t) in _model.Parameters()) g.Parameter(name, t);
            foreach (var (name, t) in _model.State()) g.State(name, t);
            var input = g.Input("x", DType.Float32, [n, .. _sampleShape]);
            var logits = _model.Forward(g, input);
            g.Output(logits);
            var optimized = GraphOptimizer.Optimize(g.Graph, Optimization, new OptimizationOptions { Inference = true });
            _optimized.Add(optimized);
            var plan = ExecutionPlan.Compile(optimized.Graph, _device);
            plan.Context.Training = false;
            _eval[n] = e = (plan, optimized.Map(logits));
        }
        e.Plan.Input("x").CopyFrom(x);
        e.Plan.Run();
        return e.Plan[e.Logits];
    }

    /// <summary>Disposes the plans and what the graph optimizer created.</summary>
    public void Dispose()
    {
        _train.Dispose();
        foreach (var (p, _) in _eval.Values) p.Dispose();
        _eval.Clear();
        foreach (var o in _optimized) o.Dispose();
        _optimized.Clear();
    }
}
