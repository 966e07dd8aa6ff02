using System.Numerics;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Cuda;

/// <summary>
/// GEMM on cuBLASLt for one <see cref="CudaDevice"/>: C = Alpha·op(A)·op(B) + Beta·C (+ bias [N] through the
/// CUBLASLT_EPILOGUE_BIAS epilogue), row-major tensors, batched over leading dimensions whose strides are uniform
/// (one stride per operand, 0 for a broadcast operand). Inputs float32 (TF32 tensor cores when <see cref="AllowTf32"/>),
/// bfloat16 or float16 (C float32 or the input type); always fp32 accumulation and fp32 Alpha/Beta.
/// <para>cuBLASLt is column-major: a row-major [r, c] matrix with row stride ld is the column-major [c, r] matrix with the
/// same ld, so Tessera computes Cᵀ = op(B)ᵀ·op(A)ᵀ, passing B as cuBLASLt's A and A as its B. A view whose last two
/// dimensions are transposed (row stride 1) is described as the other transposition of its storage. The heuristic's
/// first algorithm is cached per shape/stride/alignment key (<see cref="CudaLibraryHandle{THandle, TKey, TPlan}"/>);
/// the GEMM runs on the stream the caller names and its workspace (≤ <see cref="WorkspaceLimit"/>) comes from the
/// device pool on that stream.</para>
/// UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaBlas : IDisposable
{
    /// <summary>Set to 1 to let fp32 GEMMs use TF32 tensor cores (about 10 mantissa bits; off by default).</summary>
    public const string Tf32Variable = "TESSERA_TF32";

    /// <summary>Default workspace ceiling (NVIDIA's recommendation for Hopper is 32 MiB).</summary>
    public const long DefaultWorkspaceLimit = 32L << 20;

    private readonly CudaDevice _device;
    private readonly CudaLibraryHandle<CublasLtHandle, PlanKey, Plan> _lib;

    internal CudaBlas(CudaDevice device)
    {
        _device = device;
        _lib = new(device.Context, this, Create, h => CublasLt.cublasLtDestroy(h).Check());
        AllowTf32 = Environment.GetEnvironmentVariable(Tf32Variable) == "1";
    }

    /// <summary>True when libcublasLt loads.</summary>
    public static bool IsAvailable => CudaLibraries.Get(CudaLibrary.CublasLt).Loaded;

    /// <summary>fp32 GEMMs may round inputs to TF32 (CUBLAS_COMPUTE_32F_FAST_TF32). Default from <c>TESSERA_TF32=1</c>.</summary>
    public bool AllowTf32 { get; set; }

    /// <summary>Largest workspace a GEMM may take from the pool.</summary>
    public long WorkspaceLimit { get; set; } = DefaultWorkspaceLimit;

    /// <summary>Number of cached heuristic results (one per distinct problem).</summary>
    public int CachedPlans => _lib.Plans.Count;

    private static CublasLtHandle Create()
    {
        CublasLtHandle h;
        CublasLt.cublasLtCreate(&h).Check();
        return h;
    }

    /// <summary>
    /// c = Alpha·op(a)·op(b) + Beta·c + bias. a, b: float32, bfloat16 or float16 (the same type), shapes as
    /// <see cref="ILinalgKernels.Gemm"/>; c: contiguous, float32 or the input type; bias: null or [N] contiguous
    /// (float32 or c's type). Runs on <paramref name="stream"/> (null: the default stream). Throws when cuBLASLt cannot
    /// run the problem (layout it cannot describe, no algorithm).
    /// </summary>
    public void Matmul(Tensor a, Tensor b, Tensor c, GemmParams? p = null, Tensor? bias = null, IStream? stream = null)
    {
        const string op = "CudaBlas.Matmul";
        var gp = p ?? new GemmParams();
        foreach (var (name, t) in new[] { ("a", a), ("b", b), ("c", c) })
            if (!ReferenceEquals(t.Device, _device)) throw new TesseraDeviceException(op, name, $"the tensor is on {t.Device.Id}, not {_device.Id}");
        if (a.DType != b.DType) throw new TesseraDTypeException(op, "b", $"a is {a.DType} but b is {b.DType}");
        if (a.DType is not (DType.Float32 or DType.BFloat16 or DType.Float16))
            throw new TesseraDTypeException(op, "a", $"cuBLASLt GEMM takes float32, bfloat16 or float16 inputs, got {a.DType}");
        if (c.DType != DType.Float32 && c.DType != a.DType)
            throw new TesseraDTypeException(op, "c", $"c must be float32 or {a.DType}, got {c.DType}");
        var shape = ShapeRules.Gemm(a.Shape, b.Shape, gp, op);
        if (!c.Shape.Equals(shape)) throw new TesseraShapeException(op, "c", $"expected {shape}, got {c.Shape}");
        if (!c.IsContiguous) throw new TesseraArgumentException(op, "c", "the output must be contiguous");
        var why = TryMatmul(a, b, bias, c, gp, CudaStream.Of(stream, _device, op));
        if (why != null) throw new TesseraBackendException(op, $"cuBLASLt cannot run this GEMM: {why}");
    }

    /// <summary>One cuBLASLt call: the problem in cuBLASLt's terms and the device addresses (A = Tessera's b, B = Tessera's a).</summary>
    internal readonly record struct GemmCall(PlanKey Key, ulong A, ulong B, ulong C, ulong Bias, bool Empty);

    /// <summary>Translates a row-major Tessera GEMM into cuBLASLt's column-major problem (Cᵀ = op(B)ᵀ·op(A)ᵀ), or says why
    /// it cannot. Pure: reads shapes, strides and addresses only.</summary>
    internal static string? Prepare(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p, bool tf32, out GemmCall call)
    {
        call = default;
        int rc = c.Rank;
        int m = c.Shape[rc - 2], n = c.Shape[rc - 1];
        int k = p.TransA ? a.Shape[a.Rank - 2] : a.Shape[a.Rank - 1];
        if (c.ElementCount == 0) { call = new GemmCall(default, 0, 0, 0, 0, Empty: true); return null; }
        if (k == 0) return "K = 0";
        if (!c.IsContiguous) return "c is not contiguous";
        var batchShape = c.Shape.ToArray()[..^2];
        long batch = c.ElementCount / ((long)m * n);
        if (batch > int.MaxValue) return "more than 2³¹−1 batches";
        if (!Describe(b, batchShape, p.TransB, out var lb, out string? whyB)) return $"b: {whyB}";
        if (!Describe(a, batchShape, p.TransA, out var la, out string? whyA)) return $"a: {whyA}";
        ulong biasPtr = 0;
        if (bias != null)
        {
            bool vector = bias.IsContiguous && bias.Shape[^1] == n && bias.ElementCount == n;
            if (!vector) return $"bias {bias.Shape} is not a vector of the N = {n} columns";
            if (bias.DType != DType.Float32 && bias.DType != c.DType) return $"bias is {bias.DType}";
            biasPtr = Address(bias);
        }

        var inType = DataType(a.DType);
        var outType = DataType(c.DType);
        var compute = a.DType == DType.Float32 && tf32 ? cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32 : cublasComputeType_t.CUBLAS_COMPUTE_32F;
        ulong pa = Address(b), pb = Address(a), pc = Address(c);   // cuBLASLt's A is Tessera's b (Cᵀ = op(B)ᵀ·op(A)ᵀ)
        var key = new PlanKey(inType, outType, compute, lb.Trans, la.Trans, n, m, k, lb.Ld, la.Ld, n, (int)batch, lb.BatchStride, la.BatchStride,
            (long)m * n, bias == null ? 0 : DataType(bias.DType), bias != null,
            Alignment(pa), Alignment(pb), Alignment(pc), bias == null ? 256u : Alignment(biasPtr));
        call = new GemmCall(key, pa, pb, pc, biasPtr, Empty: false);
        return null;
    }

    /// <summary>Runs the GEMM on cuBLASLt on <paramref name="stream"/>, or returns why it cannot (the caller then falls
    /// back) without doing anything.</summary>
    internal string? TryMatmul(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p, CudaStream stream)
    {
        if (Prepare(a, b, bias, c, p, AllowTf32, out var call) is { } why) return why;
        if (call.Empty) return null;
        var key = call.Key;
        ulong pa = call.A, pb = call.B, pc = call.C, biasPtr = call.Bias;

        var handle = _lib.Handle;
        _device.Context.MakeCurrent();
        using var d = new Descriptors(key, biasPtr);
        if (!_lib.Plans.TryGetValue(key, out var plan))
        {
            var found = Heuristic(handle, d, key);
            if (found == null) return $"cuBLASLt found no algorithm for {key}";
            plan = _lib.Plans.GetOrAdd(key, found);
        }
        float alpha = p.Alpha, beta = p.Beta;
        using var workspace = plan.WorkspaceBytes > 0 ? _device.Memory.Rent(plan.WorkspaceBytes, stream) : null;
        var algo = plan.Algo;
        cublasStatus_t r;
        lock (_lib.Gate)
            r = CublasLt.cublasLtMatmul(handle, d.Matmul, &alpha, new CuDevicePtr(pa), d.A, new CuDevicePtr(pb), d.B,
                &beta, new CuDevicePtr(pc), d.C, new CuDevicePtr(pc), d.C, &algo,
                workspace == null ? CuDevicePtr.Null : new CuDevicePtr((ulong)workspace.Handle), (nuint)plan.WorkspaceBytes, stream.Handle);
        r.Check($"cublasLtMatmul({key})");
        if (_device.Runtime.SyncEachLaunch) stream.Synchronize();
        return null;
    }

    private Plan? Heuristic(CublasLtHandle handle, Descriptors d, PlanKey key)
    {
        CublasLtMatmulPreference pref;
        CublasLt.cublasLtMatmulPreferenceCreate(&pref).Check();
        try
        {
            ulong ws = (ulong)Math.Max(0, WorkspaceLimit);
            CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ulong)).Check();
            uint alA = key.AlignA, alB = key.AlignB, alC = key.AlignC;
            CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alA, sizeof(uint)).Check();
            CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alB, sizeof(uint)).Check();
            CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alC, sizeof(uint)).Check();
            CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alC, sizeof(uint)).Check();
            const int want = 8;
            var results = stackalloc cublasLtMatmulHeuristicResult_t[want];
            int got = 0;
            var r = CublasLt.cublasLtMatmulAlgoGetHeuristic(handle, d.Matmul, d.A, d.B, d.C, d.C, pref, want, results, &got);
            if (r == cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED || got == 0) return null;
            r.Check($"cublasLtMatmulAlgoGetHeuristic({key})");
            for (int i = 0; i < got; i++)
                if (results[i].state == cublasStatus_t.CUBLAS_STATUS_SUCCESS && (long)results[i].workspaceSize <= WorkspaceLimit)
                    return new Plan(results[i].algo, (long)results[i].workspaceSize);
            return null;
        }
        finally { CublasLt.cublasLtMatmulPreferenceDestroy(pref); }
    }

    /// <summary>An operand as cuBLASLt sees it: transposition, leading dimension, rows/cols of the stored column-major
    /// matrix, and the batch stride.</summary>
    internal readonly record struct Operand(cublasOperation_t Trans, ulong Rows, ulong Cols, long Ld, long BatchStride);

    /// <summary>Describes a row-major operand (its last two dimensions [r, c], logical transposition <paramref name="trans"/>)
    /// as a column-major cuBLASLt matrix, or says why it cannot.</summary>
    internal static bool Describe(Tensor t, int[] batchShape, bool trans, out Operand o, out string? why)
    {
        o = default;
        why = null;
        int rank = t.Rank;
        int r = t.Shape[rank - 2], c = t.Shape[rank - 1];
        long sr = t.Strides[rank - 2], sc = t.Strides[rank - 1];
        bool flipped;
        long ld;
        if ((sc == 1 || c == 1) && (r == 1 || sr >= Math.Max(c, 1))) { flipped = false; ld = r == 1 ? Math.Max(c, 1) : sr; }
        else if ((sr == 1 || r == 1) && (c == 1 || sc >= Math.Max(r, 1))) { flipped = true; ld = c == 1 ? Math.Max(r, 1) : sc; }
        else { why = $"matrix strides ({sr}, {sc}) of {t.Shape} have no unit dimension"; return false; }
        // Stored matrix (row-major) [sr_rows, sr_cols]; its column-major description is [cols, rows] with ld.
        int rows = flipped ? c : r, cols = flipped ? r : c;
        bool effTrans = trans ^ flipped;
        if (!UniformBatchStride(t, batchShape, out long bs)) { why = $"batch strides of {t.Shape} (strides [{string.Join(", ", t.Strides.ToArray())}]) are not uniform"; return false; }
        o = new Operand(effTrans ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N, (ulong)cols, (ulong)rows, ld, bs);
        return true;
    }

    /// <summary>One stride s with batch offset = s · (flat batch index of c), over c's batch shape; 0 when broadcast.</summary>
    internal static bool UniformBatchStride(Tensor t, int[] batchShape, out long stride)
    {
        stride = 0;
        int tb = t.Rank - 2, lead = batchShape.Length - tb;
        bool have = false;
        long prod = 1;
        for (int d = batchShape.Length - 1; d >= 0; d--)
        {
            if (batchShape[d] == 1) continue;
            int td = d - lead;
            long sd = td >= 0 && t.Shape[td] != 1 ? t.Strides[td] : 0;
            if (!have) { stride = sd; have = true; }
            else if (sd != stride * prod) return false;
            prod *= batchShape[d];
        }
        return true;
    }

    private static ulong Address(Tensor t) => (ulong)t.Storage.Buffer.Handle + (ulong)(t.Offset * t.DType.SizeOf());

    /// <summary>The largest power of two ≤ 256 dividing the address.</summary>
    internal static uint Alignment(ulong address) => address == 0 ? 256u : (uint)Math.Min(256UL, 1UL << BitOperations.TrailingZeroCount(address));

    internal static cudaDataType_t DataType(DType t) => t switch
    {
        DType.Float32 => cudaDataType_t.CUDA_R_32F,
        DType.Float16 => cudaDataType_t.CUDA_R_16F,
        DType.BFloat16 => cudaDataType_t.CUDA_R_16BF,
        _ => throw new TesseraDTypeException("CudaBlas", "dtype", $"no cuBLASLt type for {t}"),
    };

    /// <inheritdoc/>
    public void Dispose() => _lib.Dispose();

    /// <summary>Everything the heuristic depends on (cuBLASLt's m, n, k: m = Tessera's N, n = Tessera's M).</summary>
    internal readonly record struct PlanKey(cudaDataType_t InType, cudaDataType_t OutType, cublasComputeType_t Compute,
        cublasOperation_t TransA, cublasOperation_t TransB, int M, int N, int K, long Lda, long Ldb, long Ldc, int Batch,
        long StrideA, long StrideB, long StrideC, cudaDataType_t BiasType, bool Bias, uint AlignA, uint AlignB, uint AlignC, uint AlignBias)
    {
        public override string ToString() =>
            $"{InType}->{OutType} {Compute} {TransA}{TransB} m={M} n={N} k={K} ld=({Lda},{Ldb},{Ldc}) batch={Batch} strides=({StrideA},{StrideB},{StrideC})" +
            (Bias ? $" bias {BiasType}" : "") + $" align=({AlignA},{AlignB},{AlignC})";
    }

    private sealed record Plan(cublasLtMatmulAlgo_t Algo, long WorkspaceBytes);

    /// <summary>The matmul descriptor and the three layouts of one call (host objects, created per call).</summary>
    private sealed class Descriptors : IDisposable
    {
        public CublasLtMatmulDesc Matmul;
        public CublasLtMatrixLayout A, B, C;

        public Descriptors(PlanKey k, ulong biasPtr)
        {
            try
            {
                CublasLtMatmulDesc desc;
                CublasLt.cublasLtMatmulDescCreate(&desc, k.Compute, cudaDataType_t.CUDA_R_32F).Check();
                Matmul = desc;
                int ta = (int)k.TransA, tb = (int)k.TransB;
                Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(int));
                Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(int));
                if (k.Bias)
                {
                    uint epilogue = (uint)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS;
                    Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(uint));
                    ulong ptr = biasPtr;
                    Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_POINTER, &ptr, sizeof(ulong));
                    long zero = 0;   // the same bias for every batch
                    Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, &zero, sizeof(long));
                    int bt = (int)k.BiasType;
                    Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(int));
                }
                // op(A) is m×k, op(B) is k×n, C is m×n (cuBLASLt's names).
                bool ta_ = k.TransA == cublasOperation_t.CUBLAS_OP_T, tb_ = k.TransB == cublasOperation_t.CUBLAS_OP_T;
                A = Layout(k.InType, ta_ ? (ulong)k.K : (ulong)k.M, ta_ ? (ulong)k.M : (ulong)k.K, k.Lda, k.Batch, k.StrideA);
                B = Layout(k.InType, tb_ ? (ulong)k.N : (ulong)k.K, tb_ ? (ulong)k.K : (ulong)k.N, k.Ldb, k.Batch, k.StrideB);
                C = Layout(k.OutType, (ulong)k.M, (ulong)k.N, k.Ldc, k.Batch, k.StrideC);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private void Set(cublasLtMatmulDescAttributes_t attr, void* value, int size) =>
            CublasLt.cublasLtMatmulDescSetAttribute(Matmul, attr, value, (nuint)size).Check($"cublasLtMatmulDescSetAttribute({attr})");

        private static CublasLtMatrixLayout Layout(cudaDataType_t type, ulong rows, ulong cols, long ld, int batch, long stride)
        {
            CublasLtMatrixLayout l;
            CublasLt.cublasLtMatrixLayoutCreate(&l, type, rows, cols, ld).Check($"cublasLtMatrixLayoutCreate({type}, {rows}, {cols}, {ld})");
            if (batch > 1)
            {
                CublasLt.cublasLtMatrixLayoutSetAttribute(l, cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(int)).Check();
                CublasLt.cublasLtMatrixLayoutSetAttribute(l, cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(long)).Check();
            }
            return l;
        }

        public void Dispose()
        {
            if (A.Value != 0) CublasLt.cublasLtMatrixLayoutDestroy(A);
            if (B.Value != 0) CublasLt.cublasLtMatrixLayoutDestroy(B);
            if (C.Value != 0) CublasLt.cublasLtMatrixLayoutDestroy(C);
            if (Matmul.Value != 0) CublasLt.cublasLtMatmulDescDestroy(Matmul);
            A = B = C = default;
            Matmul = default;
        }
    }
}
