using System.Diagnostics;
using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Graph.Operators;
using Tessera.Graph.Planning;
using Tessera.Memory;

namespace Tessera.Graph.Execution;

/// <summary>A graph compiled for one device: a schedule, one arena holding every intermediate (offsets assigned by
/// liveness, in place where an op allows), persistent input tensors, and views for every value. Compiling allocates;
/// <see cref="Run()"/> only launches kernels, with the device's kernels bound to the plan's <see cref="Stream"/>.</summary>
public sealed class ExecutionPlan : IDisposable
{
    private readonly Tensor?[] _tensors;       // by value id
    private readonly Node[] _schedule;
    private readonly Tensor?[][] _nodeInputs;
    private readonly Tensor[][] _nodeOutputs;
    private readonly DeviceBuffer? _arena;
    private readonly List<Tensor> _owned = new();
    private readonly double[] _nodeMs;
    private readonly bool[] _elided;   // by schedule position: concatenations whose inputs were written in place
    private int _running;   // 1 while a Run or a capture is under way (on any thread)

    private ExecutionPlan(ComputeGraph graph, IDevice device, IStream stream, Node[] schedule, Tensor?[] tensors, DeviceBuffer? arena,
        long arenaBytes, long naiveBytes, List<Tensor> owned, bool[] elided)
    {
        _elided = elided;
        Graph = graph;
        Device = device;
        Stream = stream;
        _schedule = schedule;
        _tensors = tensors;
        _arena = arena;
        ArenaBytes = arenaBytes;
        NaiveBytes = naiveBytes;
        _owned = owned;
        Context = new ExecContext(device, device.KernelsOn(stream));
        _nodeInputs = schedule.Select(n => n.Inputs.Select(v => tensors[v.Id]).ToArray()).ToArray();
        _nodeOutputs = schedule.Select(n => n.Outputs.Select(v => tensors[v.Id]!).ToArray()).ToArray();
        _nodeMs = new double[schedule.Length];
    }

    /// <summary>The graph the plan runs.</summary>
    public ComputeGraph Graph { get; }
    /// <summary>The device the plan runs on.</summary>
    public IDevice Device { get; }

    /// <summary>The stream the plan's work is ordered on: its launches, its memory, its timing events and captures.</summary>
    public IStream Stream { get; }

    /// <summary>The context the plan's operators run with (device, kernels, step, mode).</summary>
    public ExecContext Context { get; }
    /// <summary>The nodes in the order they run.</summary>
    public IReadOnlyList<Node> Schedule => _schedule;

    /// <summary>Whether the node at schedule position <paramref name="s"/> does nothing when the plan runs: a
    /// concatenation whose inputs its producers wrote straight into their slices of its output.</summary>
    public bool IsElided(int s) => _elided[s];

    /// <summary>Bytes of the arena holding every intermediate.</summary>
    public long ArenaBytes { get; }

    /// <summary>Bytes the intermediates would take each in its own buffer.</summary>
    public long NaiveBytes { get; }

    /// <summary>When true, <see cref="Run()"/> records each node's time: wall time after synchronising on the CPU,
    /// timing events around each node on other devices (one synchronisation at the end of the run).</summary>
    public bool Profile { get; set; }

    /// <summary>When true, <see cref="Run()"/> checks the fed inputs and parameters before the first node and every
    /// floating-point output after each node, and stops at the first NaN or ±∞ with a
    /// <see cref="TesseraNumericsException"/> naming the node (or the input) and the value. It reads every output back to
    /// the host: a debugging mode, as slow as that.</summary>
    public bool CheckNumerics { get; set; }

    /// <summary>Whether the kernels keep the graph's constant operands (convolution weights) packed in their own layout
    /// from the first run on, instead of packing them on every run (on by default; kernels that do not pack ignore it).
    /// The packs live as long as the plan and cost the memory of a second copy of those weights (<see cref="PackedBytes"/>);
    /// turning this off frees them. A constant's tensor must not change after the plan has run (a parameter may: it
    /// is never packed).</summary>
    public bool PackConstants
    {
        get => Context.Packs.Enabled;
        set => Context.Packs.Enabled = value;
    }

    /// <summary>Bytes of the constant operands packed so far (<see cref="PackConstants"/>).</summary>
    public long PackedBytes => Context.Packs.Bytes;

    /// <summary>Per-node time of the last profiled run, in schedule order (milliseconds).</summary>
    public IReadOnlyList<double> NodeMilliseconds => _nodeMs;

    /// <summary>Start of each node in the last profiled run, relative to the run's start (milliseconds).</summary>
    public IReadOnlyList<double> NodeStartMilliseconds => _nodeStartMs;
    private double[] _nodeStartMs = Array.Empty<double>();
    private IEvent[] _events = Array.Empty<IEvent>();

    /// <summary>Compiles <paramref name="graph"/> for <paramref name="device"/>, to run on <paramref name="stream"/> (null:
    /// the default stream). With <paramref name="reuseMemory"/> false every intermediate gets its own bytes (no liveness
    /// sharing, no in-place): a debugging aid and a check of the planner. <see cref="Tensor.CopyFrom{T}"/> and
    /// <see cref="Tensor.ToArray{T}"/> go through the default stream: on another stream, order them against the run
    /// (synchronise the default stream before <see cref="Run()"/> where host copies are asynchronous, as on CUDA, and
    /// <see cref="Stream"/> before reading outputs).</summary>
    public static ExecutionPlan Compile(ComputeGraph graph, IDevice device, bool reuseMemory = true, IStream? stream = null)
    {
        stream ??= device.DefaultStream;
        if (!ReferenceEquals(stream.Device, device))
            throw new TesseraDeviceException("ExecutionPlan.Compile", nameof(stream), $"the stream belongs to {stream.Device.Id}, the plan runs on {device.Id}");
        var schedule = graph.Nodes.ToArray();
        int nv = graph.Values.Count;
        var first = new int[nv];
        var last = new int[nv];
        Array.Fill(first, -1);
        for (int s = 0; s < schedule.Length; s++)
        {
            foreach (var o in schedule[s].Outputs) { first[o.Id] = s; last[o.Id] = s; }
            foreach (var i in schedule[s].Inputs) last[i.Id] = Math.Max(last[i.Id], s);
        }
        // Concatenations written in place: each input's buffer is its slice of the output's, so the node copies nothing.
        var (sliceOf, elided) = reuseMemory ? InPlaceConcats(schedule, nv) : (new (int Output, long Offset)[nv], new bool[schedule.Length]);
        var offsetIn = new long[nv];       // byte offset of a value in its buffer (a slice of a concatenation's output)
        var hostsSlices = new HashSet<int>();
        // Buffers: one per intermediate, except outputs that take over a dying input's buffer in place.
        var bufferOf = new int[nv];
        Array.Fill(bufferOf, -1);
        var aliasOf = new int[nv];   // values that view a non-arena tensor (reshape of an input or parameter)
        Array.Fill(aliasOf, -1);
        var lifetimes = new List<BufferLifetime>();
        foreach (var v in graph.Values)
        {
            if (v.Kind != ValueKind.Intermediate) continue;
            long bytes = v.Shape.ElementCount * v.DType.SizeOf();
            int lastUse = v.IsOutput ? schedule.Length : last[v.Id];
            var n = v.Producer!;
            if (sliceOf[v.Id].Output > 0 || elided[first[v.Id]] && v.ProducerOutput == 0)
            {
                // A slice, placed in its concatenation's buffer (made by the first slice), or that output itself.
                int owner = sliceOf[v.Id].Output > 0 ? sliceOf[v.Id].Output - 1 : v.Id;
                if (bufferOf[owner] < 0)
                {
                    var o = graph.Values[owner];
                    bufferOf[owner] = lifetimes.Count;
                    hostsSlices.Add(lifetimes.Count);
                    lifetimes.Add(new BufferLifetime(o.Shape.ElementCount * o.DType.SizeOf(), first[v.Id], first[v.Id]));
                }
                int hb = bufferOf[owner];
                bufferOf[v.Id] = hb;
                offsetIn[v.Id] = owner == v.Id ? 0 : sliceOf[v.Id].Offset;
                lifetimes[hb] = lifetimes[hb] with { FirstStep = Math.Min(lifetimes[hb].FirstStep, first[v.Id]), LastStep = Math.Max(lifetimes[hb].LastStep, lastUse) };
                continue;
            }
            int alias = n.Op.AliasInput;
            if (v.ProducerOutput == 0 && alias >= 0)
            {
                var src = n.Inputs[alias];
                if (src.Kind != ValueKind.Intermediate || aliasOf[src.Id] >= 0)
                {
                    aliasOf[v.Id] = aliasOf[src.Id] >= 0 ? aliasOf[src.Id] : src.Id;
                    continue;
                }
                int b = bufferOf[src.Id];
                bufferOf[v.Id] = b;
                offsetIn[v.Id] = offsetIn[src.Id];
                lifetimes[b] = lifetimes[b] with { LastStep = Math.Max(lifetimes[b].LastStep, lastUse) };
                continue;
            }
            int ip = n.Op.InPlaceInput;
            if (reuseMemory && v.ProducerOutput == 0 && ip >= 0 && ip < n.Inputs.Count)
            {
                var src = n.Inputs[ip];
                int b = bufferOf[src.Id];
                if (b >= 0 && !hostsSlices.Contains(b) && src.Kind == ValueKind.Intermediate && !src.IsOutput && last[src.Id] == first[v.Id]
                    && src.Shape.ElementCount * src.DType.SizeOf() == bytes && n.Inputs.Count(x => x == src) == 1
                    && lifetimes[b].LastStep == first[v.Id])
                {
                    bufferOf[v.Id] = b;
                    lifetimes[b] = lifetimes[b] with { LastStep = lastUse };
                    continue;
                }
            }
            bufferOf[v.Id] = lifetimes.Count;
            lifetimes.Add(new BufferLifetime(bytes, first[v.Id], lastUse));
        }
        var plan = ArenaPlanner.Plan(reuseMemory ? lifetimes : lifetimes.Select(l => l with { FirstStep = 0, LastStep = schedule.Length }).ToList());
        // The naive sum gives every computed value its own buffer (views such as reshape excepted: they are free anywhere).
        long naive = graph.Values.Where(v => v.Kind == ValueKind.Intermediate && aliasOf[v.Id] < 0 && v.Producer!.Op.AliasInput < 0)
            .Sum(v => ArenaPlanner.Align(v.Shape.ElementCount * v.DType.SizeOf(), ArenaPlanner.DefaultAlignment));
        MemoryLimits.Current.CheckIntermediates("ExecutionPlan.Compile", plan.ArenaBytes);
        DeviceBuffer? arena = plan.ArenaBytes > 0 ? device.Memory.Rent(plan.ArenaBytes, stream) : null;
        var tensors = new Tensor?[nv];
        var owned = new List<Tensor>();
        try
        {
            BindTensors(graph, device, stream, arena, plan, bufferOf, offsetIn, aliasOf, tensors, owned);
        }
        catch
        {
            foreach (var t in owned) t.Dispose();
            arena?.Dispose();
            throw;
        }
        return new ExecutionPlan(graph, device, stream, schedule, tensors, arena, plan.ArenaBytes, naive, owned, elided);
    }

    /// <summary>The concatenations whose inputs can be written straight into their slices of the output: along an axis
    /// with only ones before it (each slice contiguous), every slice starting on a 64-byte boundary, and every input an
    /// intermediate that is not a graph output, appears once, is not already a slice or an elided concatenation's output,
    /// and is not a view of another value (a slice is never computed in place either, and no later node takes over the
    /// buffer that holds slices). A concatenation whose first inputs are exactly those of an elided one (DenseNet's,
    /// each layer joining every earlier feature map) takes it over: the earlier output becomes the first part of the
    /// later one's buffer, with its slices where they were. sliceOf[value] = (owner id + 1, byte offset) for the slices
    /// and the outputs taken over (0 elsewhere); elided[position] for the concatenations.</summary>
    private static ((int Output, long Offset)[] SliceOf, bool[] Elided) InPlaceConcats(Node[] schedule, int nv)
    {
        var sliceOf = new (int Output, long Offset)[nv];
        var elided = new bool[schedule.Length];
        var joined = new Dictionary<int, Node>();   // elided concatenations not taken over, by output id
        for (int s = 0; s < schedule.Length; s++)
        {
            var n = schedule[s];
            if (n.Op is not ConcatGraphOp concat || n.Outputs.Count != 1) continue;
            var y = n.Outputs[0];
            long outer = 1;
            for (int d = 0; d < concat.Axis; d++) outer *= y.Shape[d];
            if (outer != 1 || y.Kind != ValueKind.Intermediate || n.Inputs.Count == 0) continue;
            // An elided concatenation whose inputs begin this one's, in order.
            Node? prefix = sliceOf[n.Inputs[0].Id].Output > 0 && joined.TryGetValue(sliceOf[n.Inputs[0].Id].Output - 1, out var earlier)
                && earlier.Inputs.Count < n.Inputs.Count && earlier.Inputs.Select((u, i) => n.Inputs[i] == u).All(same => same)
                ? earlier : null;
            int from = prefix?.Inputs.Count ?? 0;
            var offsets = new long[n.Inputs.Count];   // each input's byte offset in the output
            bool ok = true;
            for (int i = 0; i < n.Inputs.Count && ok; i++)
            {
                var u = n.Inputs[i];
                var p = u.Producer;
                ok = i < from || u.Kind == ValueKind.Intermediate && !u.IsOutput && u.DType == y.DType && p is not null && sliceOf[u.Id].Output == 0
                    && !joined.ContainsKey(u.Id) && n.Inputs.Count(x => x == u) == 1 && offsets[i] % ArenaPlanner.DefaultAlignment == 0
                    && !(u.ProducerOutput == 0 && p.Op.AliasInput >= 0);
                if (i + 1 < offsets.Length) offsets[i + 1] = offsets[i] + u.Shape.ElementCount * u.DType.SizeOf();
            }
            if (!ok) continue;
            if (prefix is not null)
            {
                // The earlier output and its slices move into this buffer, at the same offsets.
                int old = prefix.Outputs[0].Id;
                for (int v = 0; v < nv; v++)
                    if (sliceOf[v].Output == old + 1) sliceOf[v] = (y.Id + 1, sliceOf[v].Offset);
                sliceOf[old] = (y.Id + 1, 0);
                joined.Remove(old);
            }
            for (int i = from; i < n.Inputs.Count; i++) sliceOf[n.Inputs[i].Id] = (y.Id + 1, offsets[i]);
            elided[s] = true;
            joined[y.Id] = n;
        }
        return (sliceOf, elided);
    }

    /// <summary>A tensor for every value: views of the arena for intermediates, new tensors for inputs, the bound
    /// tensors of parameters, state and constants.</summary>
    private static void BindTensors(ComputeGraph graph, IDevice device, IStream stream, DeviceBuffer? arena, ArenaPlan plan,
        int[] bufferOf, long[] offsetIn, int[] aliasOf, Tensor?[] tensors, List<Tensor> owned)
    {
        foreach (var v in graph.Values)
        {
            switch (v.Kind)
            {
                case ValueKind.Intermediate when aliasOf[v.Id] >= 0:
                    tensors[v.Id] = tensors[aliasOf[v.Id]]!.Reshape(v.Shape.ToArray());
                    owned.Add(tensors[v.Id]!);
                    break;
                case ValueKind.Intermediate:
                    tensors[v.Id] = v.Shape.ElementCount == 0 && arena is null
                        ? Tensor.Empty(device, v.DType, v.Shape, stream)
                        : Tensor.View(device, arena!, plan.Offsets[bufferOf[v.Id]] + offsetIn[v.Id], v.DType, v.Shape);
                    owned.Add(tensors[v.Id]!);
                    break;
                case ValueKind.Input:
                    tensors[v.Id] = Tensor.Empty(device, v.DType, v.Shape, stream);
                    owned.Add(tensors[v.Id]!);
                    break;
                default:
                    var bound = v.Bound!;
                    if (!ReferenceEquals(bound.Device, device))
                        throw new TesseraDeviceException("ExecutionPlan.Compile", v.Name, $"is bound to a tensor on {bound.Device.Id}, the plan runs on {device.Id}");
                    tensors[v.Id] = bound;
                    break;
            }
        }
    }

    /// <summary>The tensor behind a value: write inputs into it before <see cref="Run()"/>, read outputs after.</summary>
    public Tensor this[Value v] => _tensors[v.Id] ?? throw new TesseraArgumentException("ExecutionPlan", nameof(v), $"{v} has no tensor");

    /// <summary>The input value named <paramref name="name"/>.</summary>
    public Tensor Input(string name) =>
        this[Graph.Values.FirstOrDefault(v => v.Kind == ValueKind.Input && v.Name == name)
             ?? throw new TesseraArgumentException("ExecutionPlan.Input", nameof(name), $"no input named '{name}'")];

    /// <summary>Runs every node once, in order, on <see cref="Stream"/>. Where the device names ranges for a
    /// profiler (<see cref="IRangeAnnotator"/>, NVTX on CUDA), each node is a range named after the node. A plan runs on
    /// one thread at a time: a call while another thread's run is under way throws a <see cref="TesseraException"/>
    /// (compile one plan per thread; plans of one graph share its parameters, not their intermediates).</summary>
    public void Run() => Run(null);

    /// <summary>Runs every node once, as <see cref="Run()"/> does, calling <paramref name="afterNode"/> with each node's
    /// schedule position (<see cref="Schedule"/>) once the node has been issued on <see cref="Stream"/> (on the CPU: has
    /// run). Work the callback queues on the stream is ordered after that node: a data-parallel trainer starts the
    /// all-reduce of a gradient bucket there while the rest of the backward pass runs.</summary>
    public void Run(Action<int>? afterNode)
    {
        Enter("ExecutionPlan.Run");
        try
        {
            RunOnce(afterNode);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            (Context.Kernels as IWorkerThreads)?.Rest();
        }
    }

    /// <summary>Marks the plan running, or refuses: a plan's intermediates live in one arena and its context counts
    /// steps, so two threads running it at once would overwrite each other's values and give wrong answers.</summary>
    private void Enter(string op)
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) return;
        string node = Context.Node is { } n ? $" (at node '{n.Name}')" : "";
        throw new TesseraException(op, $"this plan ({_schedule.Length} nodes on {Device.Id}) is already running on another thread{node}; " +
            "a plan holds its intermediates in one arena and runs on one thread at a time: compile one plan per thread");
    }

    private void RunOnce(Action<int>? afterNode)
    {
        var ctx = Context;
        var ranges = Device is IRangeAnnotator { RangesEnabled: true } r ? r : null;
        // Index checks that would stop the device per node report at the caller's next read instead.
        using var deferral = new CheckDeferral(ctx.Kernels);
        if (CheckNumerics) NumericsCheck.Inputs(this, Graph);
        if (!Profile)
        {
            for (int s = 0; s < _schedule.Length; s++)
            {
                ranges?.PushRange(_schedule[s].Name);
                RunNode(ctx, s);
                ranges?.PopRange();
                afterNode?.Invoke(s);
            }
        }
        else if (Device.Kind == DeviceKind.Cpu) RunTimedOnHost(ctx, ranges, afterNode);
        else RunTimedWithEvents(ctx, ranges, afterNode);
        ctx.Node = null;
        ctx.Step++;
    }

    /// <summary>Runs the node at schedule position <paramref name="s"/>, telling the context which node runs.</summary>
    private void RunNode(ExecContext ctx, int s)
    {
        if (_elided[s]) return;
        ctx.Node = _schedule[s];
        _schedule[s].Op.Run(ctx, _nodeInputs[s], _nodeOutputs[s]);
        if (CheckNumerics) NumericsCheck.Outputs(_schedule[s], _nodeOutputs[s]);
    }

    private void EnsureTimingArrays()
    {
        if (_nodeStartMs.Length != _schedule.Length) _nodeStartMs = new double[_schedule.Length];
    }

    private void RunTimedOnHost(ExecContext ctx, IRangeAnnotator? ranges, Action<int>? afterNode)
    {
        EnsureTimingArrays();
        var stream = Stream;
        long t0 = Stopwatch.GetTimestamp();
        for (int s = 0; s < _schedule.Length; s++)
        {
            long a = Stopwatch.GetTimestamp();
            ranges?.PushRange(_schedule[s].Name);
            RunNode(ctx, s);
            ranges?.PopRange();
            stream.Synchronize();
            long b = Stopwatch.GetTimestamp();
            _nodeStartMs[s] = (a - t0) * 1000.0 / Stopwatch.Frequency;
            _nodeMs[s] = (b - a) * 1000.0 / Stopwatch.Frequency;
            afterNode?.Invoke(s);
        }
    }

    /// <summary>Events before the first node and after each node, read after one synchronisation: device time per node
    /// without serialising the host against the device.</summary>
    private void RunTimedWithEvents(ExecContext ctx, IRangeAnnotator? ranges, Action<int>? afterNode)
    {
        EnsureTimingArrays();
        if (_events.Length != _schedule.Length + 1)
        {
            foreach (var e in _events) e.Dispose();
            _events = new IEvent[_schedule.Length + 1];
            for (int i = 0; i < _events.Length; i++) _events[i] = Device.CreateEvent(timing: true);
        }
        var stream = Stream;
        _events[0].Record(stream);
        for (int s = 0; s < _schedule.Length; s++)
        {
            ranges?.PushRange(_schedule[s].Name);
            RunNode(ctx, s);
            ranges?.PopRange();
            _events[s + 1].Record(stream);
            afterNode?.Invoke(s);
        }
        _events[^1].Synchronize();
        for (int s = 0; s < _schedule.Length; s++)
        {
            _nodeStartMs[s] = _events[s].ElapsedMillisecondsSince(_events[0]);
            _nodeMs[s] = _events[s + 1].ElapsedMillisecondsSince(_events[s]);
        }
    }

    /// <summary>Records one <see cref="Run()"/> on <see cref="Stream"/> as device work that replays with one launch (a CUDA
    /// graph); the nodes launch with the kernels bound to that stream, so the capture records them. Run the plan
    /// once before capturing so that kernels are compiled and scratch memory is cached. Everything the run computes from
    /// the step counter (dropout masks, optimizer bias corrections) is frozen at its capture-time value: capture
    /// inference or fixed-step work, and rerun <see cref="Run()"/> for training steps whose scalars change.</summary>
    public IReplayableWork CaptureGraph()
    {
        const string op = "ExecutionPlan.CaptureGraph";
        if (Device is not IGraphCapture capture)
            throw new TesseraDeviceException(op, "device", $"{Device.Id} ({Device.Kind}) cannot capture device graphs; only CUDA devices can");
        if (Profile) throw new TesseraArgumentException(op, nameof(Profile), "a profiled run synchronises per node and cannot be captured; set Profile = false");
        if (CheckNumerics) throw new TesseraArgumentException(op, nameof(CheckNumerics), "a numerics check reads every output back and cannot be captured; set CheckNumerics = false");
        Enter(op);
        try
        {
            var ctx = Context;
            using var deferral = new CheckDeferral(ctx.Kernels); // nothing may read the device during capture
            var work = capture.Capture(Stream, () =>
            {
                for (int s = 0; s < _schedule.Length; s++) RunNode(ctx, s);
            });
            ctx.Node = null;
            ctx.Step++;
            return work;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Turns <see cref="IDeferredChecks.DeferChecks"/> on for a scope and restores it.</summary>
    private readonly struct CheckDeferral : IDisposable
    {
        private readonly IDeferredChecks? _checks;
        private readonly bool _was;

        public CheckDeferral(Kernels.IKernels kernels)
        {
            _checks = kernels as IDeferredChecks;
            _was = _checks?.DeferChecks ?? false;
            if (_checks != null) _checks.DeferChecks = true;
        }

        public void Dispose()
        {
            if (_checks != null) _checks.DeferChecks = _was;
        }
    }

    /// <summary>Returns the arena and every tensor the plan owns to the device's pool.</summary>
    public void Dispose()
    {
        foreach (var e in _events) e.Dispose();
        _events = Array.Empty<IEvent>();
        Context.Dispose();
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        _arena?.Dispose();
    }
}
