using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>Streams in the kernel contract on OpenCL (POCL in CI): kernels bound to two queues of one device take
/// independent work from two threads at once. Each queue is held behind a host gate while the work is enqueued, so the
/// test sees, without timing, that both queues had work in flight together and that one queue ran to the end while
/// the other was still held; the results equal the same work run serially and agree with the CPU.</summary>
public class ClStreamTests
{
    private const int M = 96, K = 200, N = 64, Rounds = 8;

    /// <summary>Inputs of both sequences (host arrays).</summary>
    private sealed record Work(float[] X, float[] W, float[] T, float[] U, float[] Gamma, float[] Beta, float[] V)
    {
        public static Work Create() => new(Data(M * K, 1), Data(K * N, 2), Data(M * N, 3), Data(M * N, 4), Data(N, 5), Data(N, 6), Data(M * N, 7));
    }

    private static float[] Data(int n, int seed) => Rand.Uniform(seed, new[] { n }).ToFloats();

    /// <summary>Sequence A, <see cref="Rounds"/> times: p = softmax(relu(x·w)); mse(p, t); the column sums of p.</summary>
    private static Tensor[] SequenceA(IKernels k, IStream? s, Tensor[] inputs)
    {
        var (x, wt, t) = (inputs[0], inputs[1], inputs[2]);
        var dev = x.Device;
        using var h = Tensor.Empty(dev, DType.Float32, new Shape(M, N), s);
        using var r = Tensor.Empty(dev, DType.Float32, new Shape(M, N), s);
        var p = Tensor.Empty(dev, DType.Float32, new Shape(M, N), s);
        var loss = Tensor.Empty(dev, DType.Float32, Shape.Scalar, s);
        var cols = Tensor.Empty(dev, DType.Float32, new Shape(N), s);
        for (int i = 0; i < Rounds; i++)
        {
            k.Gemm(x, wt, null, h, new GemmParams());
            k.Unary(UnaryOp.Relu, h, r, default);
            k.Softmax(r, p, new SoftmaxParams(1));
            k.MseLoss(p, t, loss, LossReduction.Mean);
            k.Reduce(ReduceOp.Sum, p, cols, new ReduceParams([0], false));
        }
        return [p, loss, cols];
    }

    /// <summary>Sequence B, <see cref="Rounds"/> times: m = layernorm(u)·v; mse(m, t); the row maxima of tanh(m).</summary>
    private static Tensor[] SequenceB(IKernels k, IStream? s, Tensor[] inputs)
    {
        var (u, gamma, beta, v, t) = (inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
        var dev = u.Device;
        using var y = Tensor.Empty(dev, DType.Float32, new Shape(M, N), s);
        var m = Tensor.Empty(dev, DType.Float32, new Shape(M, N), s);
        var loss = Tensor.Empty(dev, DType.Float32, Shape.Scalar, s);
        var rows = Tensor.Empty(dev, DType.Float32, new Shape(M), s);
        for (int i = 0; i < Rounds; i++)
        {
            k.LayerNorm(u, gamma, beta, y, null, null, new LayerNormParams(1));
            k.Binary(BinaryOp.Mul, y, v, m);
            k.MseLoss(m, t, loss, LossReduction.Mean);
            k.Unary(UnaryOp.Tanh, m, y, default);
            k.Reduce(ReduceOp.Max, y, rows, new ReduceParams([1], false));
        }
        return [m, loss, rows];
    }

    /// <summary>The inputs of sequence A (<paramref name="b"/> false) or B, leased for <paramref name="stream"/> and
    /// written on it. They must outlive the work that reads them: the pool reuses memory in its stream's order.</summary>
    private static Tensor[] Inputs(IDevice dev, IStream stream, Work w, bool b)
    {
        Tensor Up(float[] data, params int[] shape)
        {
            var t = Tensor.Empty(dev, DType.Float32, new Shape(shape), stream);
            dev.CopyFromHost(MemoryMarshal.AsBytes(data.AsSpan()), t.Storage.Buffer, 0, stream);
            return t;
        }
        return b
            ? [Up(w.U, M, N), Up(w.Gamma, N), Up(w.Beta, N), Up(w.V, M, N), Up(w.T, M, N)]
            : [Up(w.X, M, K), Up(w.W, K, N), Up(w.T, M, N)];
    }

    private static float[][] Serial(IDevice dev, Work w, bool b)
    {
        var inputs = Inputs(dev, dev.DefaultStream, w, b);
        var outputs = b ? SequenceB(dev.Kernels, null, inputs) : SequenceA(dev.Kernels, null, inputs);
        var host = Host(outputs, dev, dev.DefaultStream);
        foreach (var t in inputs) t.Dispose();
        return host;
    }

    /// <summary>The elements of <paramref name="t"/>, read on <paramref name="stream"/> (after its work).</summary>
    private static float[] ReadOn(IDevice dev, Tensor t, IStream stream)
    {
        var a = new float[t.ElementCount];
        dev.CopyToHost(t.Storage.Buffer, t.Offset * sizeof(float), MemoryMarshal.AsBytes(a.AsSpan()), stream);
        return a;
    }

    private static float[][] Host(Tensor[] ts, IDevice dev, IStream stream)
    {
        var r = ts.Select(t => ReadOn(dev, t, stream)).ToArray();
        foreach (var t in ts) t.Dispose();
        return r;
    }

    private static void AssertCloseToCpu(float[][] cpu, float[][] cl, string what)
    {
        for (int o = 0; o < cpu.Length; o++)
            for (int i = 0; i < cpu[o].Length; i++)
                Assert.True(Math.Abs(cpu[o][i] - cl[o][i]) <= 1e-4f + 1e-4f * Math.Abs(cpu[o][i]),
                    $"{what}, output {o}, element {i}: CPU {cpu[o][i]}, OpenCL {cl[o][i]}");
    }

    [Fact]
    public void TwoQueuesRunIndependentWorkFromTwoThreadsAtOnce()
    {
        Assert.SkipWhen(ClMemoryPool.Guarded, "guarded mode finishes the queue after every launch, so no work can be held behind a gate");
        var work = Work.Create();
        var cpu = TestDevices.Cpu;
        var cpuA = Serial(cpu, work, b: false);
        var cpuB = Serial(cpu, work, b: true);

        using var d = ClTestDevice.Private();
        var serialA = Serial(d, work, b: false);
        var serialB = Serial(d, work, b: true);

        using var qa = (ClQueue)d.CreateStream();
        using var qb = (ClQueue)d.CreateStream();
        var ka = d.KernelsOn(qa);
        var kb = d.KernelsOn(qb);
        Assert.Same(ka, d.KernelsOn(qa));
        Assert.NotSame(ka, kb);
        Assert.Same(d.Kernels, d.KernelsOn(d.DefaultStream));
        Assert.Same(qa, ka.Stream);

        var inA = Inputs(d, qa, work, b: false);
        var inB = Inputs(d, qb, work, b: true);
        using var gateA = new ClHostGate(d);
        using var gateB = new ClHostGate(d);
        gateA.Hold(qa);
        gateB.Hold(qb);
        Tensor[] outA = [], outB = [];
        using var endA = d.CreateEvent();
        using var endB = d.CreateEvent();
        try
        {
            Together(() => outA = SequenceA(ka, qa, inA), () => outB = SequenceB(kb, qb, inB));
            endA.Record(qa);
            endB.Record(qb);
            // Everything is enqueued and nothing has run: both queues hold work in flight (the default queue, which is
            // not held, reads outputs that are not computed yet).
            Assert.False(endA.IsCompleted, "queue A ran past its gate");
            Assert.False(endB.IsCompleted, "queue B ran past its gate");
            Assert.NotEqual(serialA[0], ReadOn(d, outA[0], d.DefaultStream));
            Assert.NotEqual(serialB[0], ReadOn(d, outB[0], d.DefaultStream));

            // Queue B runs to the end while queue A is still held: the queues are independent.
            gateB.Open();
            qb.Synchronize();
            Assert.True(endB.IsCompleted);
            Assert.Equal(serialB[0], ReadOn(d, outB[0], d.DefaultStream));
            Assert.False(endA.IsCompleted, "queue A ran before its gate opened");
            Assert.NotEqual(serialA[0], ReadOn(d, outA[0], d.DefaultStream));
        }
        finally
        {
            gateA.Open();
            gateB.Open();
        }
        var clB = Host(outB, d, qb);
        var clA = Host(outA, d, qa);
        Assert.True(endA.IsCompleted);
        foreach (var t in inA.Concat(inB)) t.Dispose();

        for (int o = 0; o < 3; o++)
        {
            Assert.Equal(serialA[o], clA[o]);
            Assert.Equal(serialB[o], clB[o]);
        }
        AssertCloseToCpu(cpuA, clA, "sequence A");
        AssertCloseToCpu(cpuB, clB, "sequence B");
    }

    [Fact]
    public void BuffersAreReusedOnlyOnTheQueueTheyWereReturnedOn()
    {
        using var d = ClTestDevice.Private();
        using var qa = d.CreateStream();
        using var qb = d.CreateStream();
        var a = d.Memory.Rent(5000, qa);
        nint handle = a.Handle;
        Assert.Same(qa, a.Stream);
        a.Dispose();
        using (var b = d.Memory.Rent(5000, qb)) Assert.NotEqual(handle, b.Handle);   // queue A may still be using it
        using (var again = d.Memory.Rent(5000, qa)) Assert.Equal(handle, again.Handle);
        qa.Dispose();                                                                    // A finished: its cache serves the default queue
        using (var onDefault = d.Memory.Rent(5000)) Assert.Equal(handle, onDefault.Handle);
        using var cpuStream = TestDevices.Cpu.CreateStream();
        var e = Assert.Throws<TesseraDeviceException>(() => d.Memory.Rent(64, cpuStream));
        Assert.Contains("does not belong to opencl:0", e.Message);
    }

    [Fact]
    public void PlansCompiledForTwoQueuesRunAtOnce()
    {
        Assert.SkipWhen(ClMemoryPool.Guarded, "guarded mode finishes the queue after every launch, so no work can be held behind a gate");
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 8, 20);
        var w1 = g.Input("w1", DType.Float32, 20, 16);
        var w2 = g.Input("w2", DType.Float32, 16, 4);
        var y = g.Softmax(g.MatMul(g.Relu(g.MatMul(x, w1, name: "fc1"), "act1"), w2, name: "fc2"), -1, "probs");
        g.Output(y);
        var inputs = new[] { Data(160, 11), Data(320, 12), Data(64, 13) };
        var other = new[] { Data(160, 21), Data(320, 22), Data(64, 23) };

        using var d = ClTestDevice.Private();
        float[] Serial(float[][] data)
        {
            using var plan = ExecutionPlan.Compile(g.Graph, d);
            Feed(plan, data);
            plan.Run();
            return plan[y].ToArray<float>();
        }
        var expectA = Serial(inputs);
        var expectB = Serial(other);

        using var qa = (ClQueue)d.CreateStream();
        using var qb = (ClQueue)d.CreateStream();
        using var planA = ExecutionPlan.Compile(g.Graph, d, stream: qa);
        using var planB = ExecutionPlan.Compile(g.Graph, d, stream: qb);
        Assert.Same(d.KernelsOn(qa), planA.Context.Kernels);
        Feed(planA, inputs);
        Feed(planB, other);
        using (var gateA = new ClHostGate(d))
        using (var gateB = new ClHostGate(d))
        {
            gateA.Hold(qa);
            gateB.Hold(qb);
            Together(planA.Run, planB.Run);
            Assert.NotEqual(expectA, planA[y].ToArray<float>());   // held on queue A: not computed yet
            Assert.NotEqual(expectB, planB[y].ToArray<float>());
        }
        qa.Synchronize();
        qb.Synchronize();
        Assert.Equal(expectA, planA[y].ToArray<float>());
        Assert.Equal(expectB, planB[y].ToArray<float>());
    }

    /// <summary>Runs <paramref name="a"/> and <paramref name="b"/> on two threads released at the same moment; rethrows
    /// the first failure.</summary>
    private static void Together(Action a, Action b)
    {
        using var start = new Barrier(2);
        Exception? failure = null;
        Thread Start(Action body)
        {
            var t = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    body();
                }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
            });
            t.Start();
            return t;
        }
        var ta = Start(a);
        var tb = Start(b);
        ta.Join();
        tb.Join();
        if (failure != null) throw new AggregateException(failure);
    }

    private static void Feed(ExecutionPlan plan, float[][] data)
    {
        plan.Input("x").CopyFrom<float>(data[0]);
        plan.Input("w1").CopyFrom<float>(data[1]);
        plan.Input("w2").CopyFrom<float>(data[2]);
    }
}
