using BenchmarkDotNet.Attributes;
using Tessera.Cpu;
using Tessera.Kernels;

namespace Tessera.Benchmarks;

/// <summary>CPU micro-kernels on one thread, called through the kernel interface into preallocated outputs.</summary>
[MemoryDiagnoser]
public class MicroKernels
{
    private CpuDevice _cpu = null!;
    private Tensor _a = null!, _b = null!, _c = null!, _x = null!, _y = null!, _gamma = null!, _beta = null!, _mean = null!, _inv = null!;
    private Tensor _v1 = null!, _v2 = null!, _v3 = null!;

    [Params(256)] public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cpu = CpuBackend.Device;
        _cpu.Threads = 1;
        var rng = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        _a = Tensor.FromArray(_cpu, R(N * N), N, N);
        _b = Tensor.FromArray(_cpu, R(N * N), N, N);
        _c = Tensor.Empty(_cpu, DType.Float32, N, N);
        _x = Tensor.FromArray(_cpu, R(1024 * N), 1024, N);
        _y = Tensor.Empty(_cpu, DType.Float32, 1024, N);
        _gamma = Tensor.FromArray(_cpu, R(N), N);
        _beta = Tensor.FromArray(_cpu, R(N), N);
        _mean = Tensor.Empty(_cpu, DType.Float32, 1024);
        _inv = Tensor.Empty(_cpu, DType.Float32, 1024);
        _v1 = Tensor.FromArray(_cpu, R(1 << 16), 1 << 16);
        _v2 = Tensor.FromArray(_cpu, R(1 << 16), 1 << 16);
        _v3 = Tensor.Empty(_cpu, DType.Float32, 1 << 16);
    }

    [Benchmark] public void Gemm() => _cpu.Kernels.Gemm(_a, _b, null, _c, new GemmParams());

    [Benchmark] public void SoftmaxRows() => _cpu.Kernels.Softmax(_x, _y, new SoftmaxParams(1));

    [Benchmark] public void LayerNormRows() => _cpu.Kernels.LayerNorm(_x, _gamma, _beta, _y, _mean, _inv, new LayerNormParams(1));

    [Benchmark] public void Relu64K() => _cpu.Kernels.Unary(UnaryOp.Relu, _v1, _v3, default);

    [Benchmark] public void Add64K() => _cpu.Kernels.Binary(BinaryOp.Add, _v1, _v2, _v3);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _a, _b, _c, _x, _y, _gamma, _beta, _mean, _inv, _v1, _v2, _v3 }) t.Dispose();
    }
}
