using Tessera.Cuda;
using Tessera.Cuda.Interop;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cuda;

/// <summary>How operands map to cuBLASLt's column-major layouts: pure stride logic, checked on CPU tensors (no GPU).</summary>
public sealed class CudaBlasLayoutTests
{
    private static Tensor Cpu(params int[] shape) => Tensor.Zeros(TestDevices.Cpu, DType.Float32, shape);

    [Fact]
    public void RowMajor_IsColumnMajorTransposeWithSameLd()
    {
        using var b = Cpu(3, 5);   // K=3, N=5
        Assert.True(CudaBlas.Describe(b, [], trans: false, out var o, out _));
        Assert.Equal(cublasOperation_t.CUBLAS_OP_N, o.Trans);
        Assert.Equal(5UL, o.Rows);
        Assert.Equal(3UL, o.Cols);
        Assert.Equal(5L, o.Ld);
        Assert.True(CudaBlas.Describe(b, [], trans: true, out var t, out _));
        Assert.Equal(cublasOperation_t.CUBLAS_OP_T, t.Trans);
    }

    [Fact]
    public void TransposedView_FlipsTheOperation()
    {
        using var s = Cpu(5, 3);
        using var v = s.Transpose();   // [3, 5] with strides (1, 3)
        Assert.True(CudaBlas.Describe(v, [], trans: false, out var o, out _));
        Assert.Equal(cublasOperation_t.CUBLAS_OP_T, o.Trans);
        Assert.Equal(3L, o.Ld);
        Assert.Equal(3UL, o.Rows);
        Assert.Equal(5UL, o.Cols);
    }

    [Fact]
    public void SlicedColumns_KeepTheParentLd()
    {
        using var s = Cpu(4, 10);
        using var v = s.Slice(1, 2, 7);   // [4, 5], row stride 10
        Assert.True(CudaBlas.Describe(v, [], false, out var o, out _));
        Assert.Equal(10L, o.Ld);
    }

    [Fact]
    public void NoUnitStride_IsRefused()
    {
        using var s = Cpu(6, 8);
        using var v = s.Slice(1, 0, 8, step: 2);   // column stride 2
        Assert.False(CudaBlas.Describe(v, [], false, out _, out string? why));
        Assert.Contains("no unit dimension", why);
        using var e = Cpu(1, 4);
        using var x = e.Expand(3, 4);   // row stride 0
        Assert.False(CudaBlas.Describe(x, [], false, out _, out _));
    }

    [Fact]
    public void BatchStrides_UniformOrBroadcast_AreAccepted()
    {
        using var a = Cpu(2, 3, 4, 5);
        Assert.True(CudaBlas.UniformBatchStride(a, [2, 3], out long s));
        Assert.Equal(20L, s);
        using var w = Cpu(4, 5);   // broadcast over every batch
        Assert.True(CudaBlas.UniformBatchStride(w, [2, 3], out long s0));
        Assert.Equal(0L, s0);
        using var part = Cpu(2, 1, 4, 5);   // broadcast along one batch dimension only
        Assert.False(CudaBlas.UniformBatchStride(part, [2, 3], out _));
        using var lead = Cpu(1, 3, 4, 5);   // broadcast along a leading dimension of size 1 in c
        Assert.True(CudaBlas.UniformBatchStride(lead, [1, 3], out long s1));
        Assert.Equal(20L, s1);
    }

    [Fact]
    public void Alignment_IsLargestPowerOfTwoUpTo256()
    {
        Assert.Equal(256u, CudaBlas.Alignment(0x7f0000000000));
        Assert.Equal(4u, CudaBlas.Alignment(0x7f0000000004));
        Assert.Equal(16u, CudaBlas.Alignment(0x7f0000000030));
        Assert.Equal(2u, CudaBlas.Alignment(0x7f0000000002));
    }

    [Fact]
    public void DataTypes_MatchLibraryTypes()
    {
        Assert.Equal(0, (int)CudaBlas.DataType(DType.Float32));
        Assert.Equal(2, (int)CudaBlas.DataType(DType.Float16));
        Assert.Equal(14, (int)CudaBlas.DataType(DType.BFloat16));
        Assert.Equal(77, (int)cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32);
        Assert.Equal(4u, (uint)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS);
    }
}

/// <summary>cuBLASLt against the CPU GEMM. Need a GPU and libcublasLt (UNTESTED ON A GPU until a GPU session runs them).</summary>
public sealed class CudaBlasDeviceTests
{
    private static CudaDevice Device()
    {
        GpuRequirement.RequireCudaDevice();
        Assert.SkipUnless(CudaBlas.IsAvailable, "libcublasLt is not loadable");
        return CudaBackend.Instance.GetCudaDevice(0);
    }

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, float tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Runs Ops.Gemm on both devices with the same data and views.</summary>
    private static void Compare(int[] aShape, int[] bShape, GemmParams p, bool bias, Func<Tensor, Tensor>? viewA = null, Func<Tensor, Tensor>? viewB = null,
        bool withC = false, float tol = 1e-4f, string expectPath = "cublaslt")
    {
        var d = Device();
        var cpu = TestDevices.Cpu;
        var ad = Random(aShape.Aggregate(1, (x, y) => x * y), 1);
        var bd = Random(bShape.Aggregate(1, (x, y) => x * y), 2);
        using var ag = Tensor.FromArray(d, ad, aShape);
        using var bg = Tensor.FromArray(d, bd, bShape);
        using var ac = Tensor.FromArray(cpu, ad, aShape);
        using var bc = Tensor.FromArray(cpu, bd, bShape);
        using var agv = viewA?.Invoke(ag) ?? ag.Alias();
        using var bgv = viewB?.Invoke(bg) ?? bg.Alias();
        using var acv = viewA?.Invoke(ac) ?? ac.Alias();
        using var bcv = viewB?.Invoke(bc) ?? bc.Alias();
        var shape = ShapeRules.Gemm(acv.Shape, bcv.Shape, p);
        int n = shape[^1];
        var biasData = Random(n, 3);
        using var biasG = bias ? Tensor.FromArray(d, biasData, n) : null;
        using var biasC = bias ? Tensor.FromArray(cpu, biasData, n) : null;
        var cData = Random((int)shape.ElementCount, 4);
        using var cg = withC ? Tensor.FromArray(d, cData, shape.ToArray()) : null;
        using var cc = withC ? Tensor.FromArray(cpu, cData, shape.ToArray()) : null;
        using var expected = Ops.Gemm(acv, bcv, biasC, p, cc);
        using var actual = Ops.Gemm(agv, bgv, biasG, p, cg);
        Assert.StartsWith(expectPath, CudaKernels.LastGemmPathOnThisThread);
        AssertClose(expected.ToArray<float>(), actual.ToArray<float>(), tol);
    }

    [Fact] public void Plain() => Compare([37, 53], [53, 29], new GemmParams(), bias: false);
    [Fact] public void TransA_TransB() => Compare([53, 37], [29, 53], new GemmParams(TransA: true, TransB: true), bias: false);
    [Fact] public void TransposedViews() => Compare([53, 37], [29, 53], new GemmParams(), bias: false, viewA: t => t.Transpose(), viewB: t => t.Transpose());
    [Fact] public void Bias_AlphaBeta() => Compare([16, 64], [64, 48], new GemmParams(Alpha: 0.5f, Beta: 2f), bias: true, withC: true);
    [Fact] public void Batched() => Compare([3, 4, 17, 9], [3, 4, 9, 11], new GemmParams(), bias: true);
    [Fact] public void BroadcastWeight() => Compare([6, 17, 9], [9, 11], new GemmParams(TransB: false), bias: false);
    [Fact] public void SlicedRows_OddOffset() => Compare([40, 33], [33, 7], new GemmParams(), bias: false, viewA: t => t.Slice(0, 1, 40));

    [Fact]
    public void Tf32_IsOptIn_AndCloseToFp32()
    {
        var d = Device();
        bool before = d.Blas.AllowTf32;
        try
        {
            d.Blas.AllowTf32 = true;
            Compare([128, 256], [256, 64], new GemmParams(), bias: false, tol: 5e-3f);
        }
        finally { d.Blas.AllowTf32 = before; }
    }

    [Fact]
    public void UnsupportedLayout_IsReportedForFallback()
    {
        var d = Device();
        using var a = Tensor.Zeros(d, DType.Float32, 4, 8);
        using var av = a.Slice(1, 0, 8, step: 2);
        using var b = Tensor.Zeros(d, DType.Float32, 4, 3);
        using var c = Tensor.Empty(d, DType.Float32, new Shape(4, 3));
        Assert.Contains("no unit dimension", d.Blas.TryMatmul(av, b, null, c, new GemmParams(), d.DefaultStream));
    }

    [Fact]
    public void HeuristicIsCachedPerShape()
    {
        var d = Device();
        Compare([8, 8], [8, 8], new GemmParams(), bias: false);
        int plans = d.Blas.CachedPlans;
        Compare([8, 8], [8, 8], new GemmParams(), bias: false);
        Assert.Equal(plans, d.Blas.CachedPlans);
    }

    [Theory]
    [InlineData(DType.BFloat16, DType.Float32)]
    [InlineData(DType.BFloat16, DType.BFloat16)]
    [InlineData(DType.Float16, DType.Float32)]
    [InlineData(DType.Float16, DType.Float16)]
    public void HalfPrecision_Matmul_AccumulatesInFp32(DType input, DType output)
    {
        var d = Device();
        int m = 64, k = 128, n = 32;
        var ad = Random(m * k, 5);
        var bd = Random(k * n, 6);
        using var a32 = Tensor.FromArray(d, ad, m, k);
        using var b32 = Tensor.FromArray(d, bd, k, n);
        using var a = Tensor.Empty(d, input, new Shape(m, k));
        using var b = Tensor.Empty(d, input, new Shape(k, n));
        d.Kernels.Cast(a32, a);
        d.Kernels.Cast(b32, b);
        using var c = Tensor.Empty(d, output, new Shape(m, n));
        d.Blas.Matmul(a, b, c);
        using var c32 = Tensor.Empty(d, DType.Float32, new Shape(m, n));
        d.Kernels.Cast(c, c32);
        // Reference from the rounded inputs, in double.
        using var ar = Tensor.Empty(d, DType.Float32, new Shape(m, k));
        using var br = Tensor.Empty(d, DType.Float32, new Shape(k, n));
        d.Kernels.Cast(a, ar);
        d.Kernels.Cast(b, br);
        var af = ar.ToArray<float>();
        var bf = br.ToArray<float>();
        var got = c32.ToArray<float>();
        float tol = output == DType.Float32 ? 1e-4f : 1e-2f;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int kk = 0; kk < k; kk++) s += af[i * k + kk] * (double)bf[kk * n + j];
                Assert.True(Math.Abs(s - got[i * n + j]) <= tol * (1 + Math.Abs(s)), $"[{i},{j}] expected {s}, got {got[i * n + j]}");
            }
    }

    [Fact]
    public void Matmul_RejectsMixedInputTypes()
    {
        var d = Device();
        using var a = Tensor.Empty(d, DType.BFloat16, new Shape(4, 4));
        using var b = Tensor.Empty(d, DType.Float16, new Shape(4, 4));
        using var c = Tensor.Empty(d, DType.Float32, new Shape(4, 4));
        Assert.Throws<TesseraDTypeException>(() => d.Blas.Matmul(a, b, c));
    }
}

/// <summary>
/// The row-major → column-major translation checked end to end without a GPU: <see cref="CudaBlas.Prepare"/> is run on
/// CPU tensors and its cuBLASLt problem is executed by a literal emulator of cublasLtMatmul's documented semantics
/// (column-major, lda/ldb/ldc, op per TRANSA/TRANSB, strided batches, D = α·op(A)·op(B) + β·C + bias[row]), with the
/// layout constraints cuBLASLt enforces (ld ≥ rows). The result must equal the CPU GEMM.
/// </summary>
public sealed unsafe class CublasLtEmulationTests
{
    private static void Emulate(CudaBlas.GemmCall call, float alpha, float beta)
    {
        var k = call.Key;
        bool ta = k.TransA == cublasOperation_t.CUBLAS_OP_T, tb = k.TransB == cublasOperation_t.CUBLAS_OP_T;
        Assert.True(k.Lda >= (ta ? k.K : k.M), $"lda {k.Lda} < rows of A ({k})");
        Assert.True(k.Ldb >= (tb ? k.N : k.K), $"ldb {k.Ldb} < rows of B ({k})");
        Assert.True(k.Ldc >= k.M, $"ldc {k.Ldc} < rows of C ({k})");
        var res = new float[(long)k.M * k.N];
        for (int bi = 0; bi < k.Batch; bi++)
        {
            float* a = (float*)call.A + (k.Batch > 1 ? bi * k.StrideA : 0);
            float* b = (float*)call.B + (k.Batch > 1 ? bi * k.StrideB : 0);
            float* c = (float*)call.C + (k.Batch > 1 ? bi * k.StrideC : 0);
            for (int i = 0; i < k.M; i++)
                for (int j = 0; j < k.N; j++)
                {
                    double s = 0;
                    for (int kk = 0; kk < k.K; kk++)
                        s += (double)(ta ? a[kk + i * k.Lda] : a[i + kk * k.Lda]) * (tb ? b[j + kk * k.Ldb] : b[kk + j * k.Ldb]);
                    double d = alpha * s + (beta != 0 ? beta * (double)c[i + j * k.Ldc] : 0) + (k.Bias ? ((float*)call.Bias)[i] : 0);
                    res[i + (long)j * k.M] = (float)d;
                }
            for (int i = 0; i < k.M; i++)
                for (int j = 0; j < k.N; j++)
                    c[i + j * k.Ldc] = res[i + (long)j * k.M];
        }
    }

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static void Check(int[] aShape, int[] bShape, GemmParams p, bool bias = false, bool withC = false,
        Func<Tensor, Tensor>? viewA = null, Func<Tensor, Tensor>? viewB = null)
    {
        var cpu = TestDevices.Cpu;
        using var a0 = Tensor.FromArray(cpu, Random(aShape.Aggregate(1, (x, y) => x * y), 1), aShape);
        using var b0 = Tensor.FromArray(cpu, Random(bShape.Aggregate(1, (x, y) => x * y), 2), bShape);
        using var a = viewA?.Invoke(a0) ?? a0.Alias();
        using var b = viewB?.Invoke(b0) ?? b0.Alias();
        var shape = ShapeRules.Gemm(a.Shape, b.Shape, p);
        using var biasT = bias ? Tensor.FromArray(cpu, Random(shape[^1], 3), shape[^1]) : null;
        var cData = Random((int)shape.ElementCount, 4);
        using var expected = Tensor.FromArray(cpu, cData, shape.ToArray());
        using var actual = Tensor.FromArray(cpu, cData, shape.ToArray());
        var q = withC ? p : p with { Beta = 0f };
        Ops.Gemm(a, b, biasT, q, expected);
        Assert.Null(CudaBlas.Prepare(a, b, biasT, actual, q, tf32: false, out var call));
        Emulate(call, q.Alpha, q.Beta);
        var e = expected.ToArray<float>();
        var g = actual.ToArray<float>();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-4f * (1 + Math.Abs(e[i])), $"[{i}] expected {e[i]}, got {g[i]}");
    }

    [Fact] public void Plain() => Check([7, 5], [5, 3], new GemmParams());
    [Fact] public void TransA() => Check([5, 7], [5, 3], new GemmParams(TransA: true));
    [Fact] public void TransB() => Check([7, 5], [3, 5], new GemmParams(TransB: true));
    [Fact] public void TransBoth() => Check([5, 7], [3, 5], new GemmParams(TransA: true, TransB: true));
    [Fact] public void TransposedViews() => Check([5, 7], [3, 5], new GemmParams(), viewA: t => t.Transpose(), viewB: t => t.Transpose());
    [Fact] public void TransposedViews_WithTransFlags() => Check([7, 5], [5, 3], new GemmParams(TransA: true, TransB: true), viewA: t => t.Transpose(), viewB: t => t.Transpose());
    [Fact] public void SlicedViews_WithOffsets() => Check([9, 8], [8, 11], new GemmParams(), viewA: t => t.Slice(0, 2, 9).Slice(1, 1, 6), viewB: t => t.Slice(0, 3, 8).Slice(1, 4, 10));
    [Fact] public void Bias_AlphaBeta_WithC() => Check([6, 4], [4, 5], new GemmParams(Alpha: 0.5f, Beta: -2f), bias: true, withC: true);
    [Fact] public void Batched() => Check([2, 3, 4, 5], [2, 3, 5, 6], new GemmParams(), bias: true);
    [Fact] public void BroadcastB() => Check([2, 3, 4, 5], [5, 6], new GemmParams(TransA: false));
    [Fact] public void BroadcastA() => Check([4, 5], [3, 5, 6], new GemmParams(Alpha: 2f));
    [Fact] public void BatchedTransposedView() => Check([2, 5, 4], [2, 5, 3], new GemmParams(), viewA: t => t.Transpose());
    [Fact] public void BatchedTransB() => Check([3, 4, 5], [3, 6, 5], new GemmParams(TransB: true), bias: true);
    [Fact] public void Degenerate_M1_N1() => Check([1, 9], [9, 1], new GemmParams());
    [Fact] public void Degenerate_K1() => Check([6, 1], [1, 4], new GemmParams());
    [Fact] public void Vector_TimesMatrix_Batched() => Check([4, 1, 7], [4, 7, 3], new GemmParams());

    [Fact]
    public void NonUniformBatch_IsRefused()
    {
        var cpu = TestDevices.Cpu;
        using var a0 = Tensor.Zeros(cpu, DType.Float32, 3, 2, 4, 5);
        using var a = a0.Permute(1, 0, 2, 3);   // [2, 3, 4, 5] with batch strides (20, 40)
        using var b = Tensor.Zeros(cpu, DType.Float32, 2, 3, 5, 6);
        using var c = Tensor.Zeros(cpu, DType.Float32, 2, 3, 4, 6);
        Assert.Contains("not uniform", CudaBlas.Prepare(a, b, null, c, new GemmParams(), false, out _));
        using var part = Tensor.Zeros(cpu, DType.Float32, 2, 1, 4, 5);
        Assert.Contains("not uniform", CudaBlas.Prepare(part, b, null, c, new GemmParams(), false, out _));
    }

    [Fact]
    public void MatrixBias_IsRefused_ForTheFallback()
    {
        var cpu = TestDevices.Cpu;
        using var a = Tensor.Zeros(cpu, DType.Float32, 4, 5);
        using var b = Tensor.Zeros(cpu, DType.Float32, 5, 6);
        using var c = Tensor.Zeros(cpu, DType.Float32, 4, 6);
        using var bias = Tensor.Zeros(cpu, DType.Float32, 4, 6);
        Assert.Contains("not a vector", CudaBlas.Prepare(a, b, bias, c, new GemmParams(), false, out _));
    }
}
