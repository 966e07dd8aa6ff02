using Tessera.Cuda.Interop;
using Tessera.Kernels;

namespace Tessera.Cuda;

/// <summary>
/// 2-D convolution (forward, backward data, backward filter) on cuDNN 9's legacy descriptor API for one
/// <see cref="CudaDevice"/>: NCHW float32 tensor descriptors with the tensors' own strides
/// (cudnnSetTensor4dDescriptorEx), an NCHW filter descriptor, a CUDNN_CROSS_CORRELATION convolution descriptor with the
/// group count, and the math type: CUDNN_FMA_MATH (exact fp32) unless <see cref="AllowTf32"/>. The algorithm is the
/// first result of cudnnGetConvolution*Algorithm_v7 that succeeded, fits <see cref="WorkspaceLimit"/> and respects the
/// math type, cached per shape (<see cref="CudaLibraryHandle{THandle, TKey, TPlan}"/>); the call runs on the stream of the
/// kernels that route it here, and its workspace and dense copies come from the pool on that stream. Asymmetric padding,
/// empty tensors and problems cuDNN reports as not supported are refused (the caller falls back to the portable kernels).
/// UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaDnn : IDisposable
{
    /// <summary>Default workspace ceiling per convolution.</summary>
    public const long DefaultWorkspaceLimit = 256L << 20;

    private readonly CudaDevice _device;
    private readonly CudaLibraryHandle<CudnnHandle, string, Plan?> _lib;

    internal CudaDnn(CudaDevice device)
    {
        _device = device;
        _lib = new(device.Context, this, Create, h => Cudnn.cudnnDestroy(h).Check());
        AllowTf32 = Environment.GetEnvironmentVariable(CudaBlas.Tf32Variable) == "1";
    }

    /// <summary>True when libcudnn.so.9 loads.</summary>
    public static bool IsAvailable => CudaLibraries.Get(CudaLibrary.Cudnn).Loaded;

    /// <summary>Let fp32 convolutions use TF32 tensor cores (CUDNN_DEFAULT_MATH); default from <c>TESSERA_TF32=1</c>.</summary>
    public bool AllowTf32 { get; set; }

    /// <summary>Largest workspace an algorithm may use.</summary>
    public long WorkspaceLimit { get; set; } = DefaultWorkspaceLimit;

    /// <summary>Cached algorithm choices (one per problem, including "none found").</summary>
    public int CachedPlans => _lib.Plans.Count;

    private static CudnnHandle Create()
    {
        CudnnHandle h;
        Cudnn.cudnnCreate(&h).Check();
        return h;
    }

    private enum Pass { Forward, BackwardData, BackwardFilter }

    private sealed record Plan(int Algo, cudnnMathType_t Math, long WorkspaceBytes);

    /// <summary>y = conv(x, w) + bias on cuDNN on the stream of <paramref name="k"/>, or why not (nothing was done then).</summary>
    internal string? TryConv2d(CudaKernels k, Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dParams p)
    {
        if (Refuse(p, x, w, y) is { } why) return why;
        using var xd = Dense(k, x);
        using var wd = w.IsContiguous ? null : k.Contiguous(w);
        using var bd = bias == null || bias.IsContiguous ? null : k.Contiguous(bias);
        var wt = wd ?? w;
        using var desc = new Descriptors(xd.Tensor, wt, y, p, AllowTf32);
        string? r = Run(k.CudaStream, Pass.Forward, desc, xd.Tensor, wt, y, p);
        if (r != null) return r;
        if (bias != null) AddBias(k.CudaStream, bd ?? bias, y, desc);
        return null;
    }

    /// <summary>dx = ∂conv/∂x (overwritten) on cuDNN on the stream of <paramref name="k"/>, or why not.</summary>
    internal string? TryBackwardData(CudaKernels k, Tensor dy, Tensor w, Tensor dx, Conv2dParams p)
    {
        if (Refuse(p, dx, w, dy) is { } why) return why;
        using var dyd = Dense(k, dy);
        using var wd = w.IsContiguous ? null : k.Contiguous(w);
        var wt = wd ?? w;
        using var desc = new Descriptors(dx, wt, dyd.Tensor, p, AllowTf32);
        return Run(k.CudaStream, Pass.BackwardData, desc, dx, wt, dyd.Tensor, p);
    }

    /// <summary>dw = ∂conv/∂w (overwritten) on cuDNN on the stream of <paramref name="k"/>, or why not.</summary>
    internal string? TryBackwardWeight(CudaKernels k, Tensor x, Tensor dy, Tensor dw, Conv2dParams p)
    {
        if (Refuse(p, x, dw, dy) is { } why) return why;
        using var xd = Dense(k, x);
        using var dyd = Dense(k, dy);
        using var desc = new Descriptors(xd.Tensor, dw, dyd.Tensor, p, AllowTf32);
        return Run(k.CudaStream, Pass.BackwardFilter, desc, xd.Tensor, dw, dyd.Tensor, p);
    }

    private static string? Refuse(Conv2dParams p, Tensor x, Tensor w, Tensor y)
    {
        if (p.PadTop != p.PadBottom || p.PadLeft != p.PadRight)
            return $"asymmetric padding (top {p.PadTop}, bottom {p.PadBottom}, left {p.PadLeft}, right {p.PadRight})";
        if (x.ElementCount == 0 || w.ElementCount == 0 || y.ElementCount == 0) return "an empty tensor";
        if (x.DType != DType.Float32 || w.DType != DType.Float32 || y.DType != DType.Float32) return "not float32";
        return null;
    }

    /// <summary>A tensor cuDNN can describe with its strides (positive, fitting int), else a dense copy made on the
    /// stream of <paramref name="k"/>.</summary>
    private static Lease Dense(CudaKernels k, Tensor t)
    {
        bool ok = true;
        for (int d = 0; d < 4; d++)
            if (t.Shape[d] > 1 && (t.Strides[d] <= 0 || t.Strides[d] > int.MaxValue)) ok = false;
        return ok ? new Lease(t, null) : new Lease(null!, k.Contiguous(t));
    }

    private readonly struct Lease(Tensor original, Tensor? copy) : IDisposable
    {
        public Tensor Tensor => copy ?? original;
        public void Dispose() => copy?.Dispose();
    }

    private static string Key(Pass pass, Tensor x, Tensor w, Tensor y, Conv2dParams p, bool tf32) =>
        $"{pass} x{x.Shape}[{string.Join(",", x.Strides.ToArray())}] w{w.Shape} y{y.Shape}[{string.Join(",", y.Strides.ToArray())}] " +
        $"s{p.StrideH},{p.StrideW} p{p.PadTop},{p.PadLeft} d{p.DilationH},{p.DilationW} g{p.Groups} tf32={tf32}";

    private string? Run(CudaStream stream, Pass pass, Descriptors d, Tensor x, Tensor w, Tensor y, Conv2dParams p)
    {
        var handle = _lib.Handle;
        _device.Context.MakeCurrent();
        string key = Key(pass, x, w, y, p, AllowTf32);
        var plan = _lib.Plans.GetOrAdd(key, _ => ChooseAlgorithm(handle, pass, d));
        if (plan == null) return $"cuDNN has no {pass} algorithm within {WorkspaceLimit >> 20} MiB of workspace for {key}";
        Cudnn.cudnnSetConvolutionMathType(d.Conv, plan.Math).Check();
        using var workspace = plan.WorkspaceBytes > 0 ? _device.Memory.Rent(plan.WorkspaceBytes, stream) : null;
        var ws = workspace == null ? CuDevicePtr.Null : new CuDevicePtr((ulong)workspace.Handle);
        float one = 1f, zero = 0f;
        cudnnStatus_t r;
        lock (_lib.Gate)
        {
            Cudnn.cudnnSetStream(handle, stream.Handle).Check();
            r = pass switch
            {
                Pass.Forward => Cudnn.cudnnConvolutionForward(handle, &one, d.X, Ptr(x), d.W, Ptr(w), d.Conv, plan.Algo, ws, (nuint)plan.WorkspaceBytes, &zero, d.Y, Ptr(y)),
                Pass.BackwardData => Cudnn.cudnnConvolutionBackwardData(handle, &one, d.W, Ptr(w), d.Y, Ptr(y), d.Conv, plan.Algo, ws, (nuint)plan.WorkspaceBytes, &zero, d.X, Ptr(x)),
                _ => Cudnn.cudnnConvolutionBackwardFilter(handle, &one, d.X, Ptr(x), d.Y, Ptr(y), d.Conv, plan.Algo, ws, (nuint)plan.WorkspaceBytes, &zero, d.W, Ptr(w)),
            };
        }
        if (r is cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED or cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_SHAPE or cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
        {
            _lib.Plans[key] = null;
            return $"cuDNN {pass} algorithm {plan.Algo} refused the problem ({CudaCheck.StatusName(r)})";
        }
        r.Check($"cudnnConvolution{pass}(algo {plan.Algo}, {key})");
        if (_device.Runtime.SyncEachLaunch) stream.Synchronize();
        return null;
    }

    private Plan? ChooseAlgorithm(CudnnHandle handle, Pass pass, Descriptors d)
    {
        const int want = 8;
        var results = stackalloc cudnnConvolutionAlgoPerf_t[want];
        int got = 0;
        var r = pass switch
        {
            Pass.Forward => Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, d.X, d.W, d.Conv, d.Y, want, &got, results),
            Pass.BackwardData => Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, d.W, d.Y, d.Conv, d.X, want, &got, results),
            _ => Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, d.X, d.Y, d.Conv, d.W, want, &got, results),
        };
        if (r is cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED or cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_SHAPE) return null;
        r.Check($"cudnnGetConvolution{pass}Algorithm_v7");
        for (int i = 0; i < got; i++)
        {
            var res = results[i];
            if (res.status != cudnnStatus_t.CUDNN_STATUS_SUCCESS || (long)res.memory > WorkspaceLimit) continue;
            if (!AllowTf32 && res.mathType is cudnnMathType_t.CUDNN_TENSOR_OP_MATH or cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
            return new Plan(res.algo, AllowTf32 ? res.mathType : cudnnMathType_t.CUDNN_FMA_MATH, (long)res.memory);
        }
        return null;
    }

    private void AddBias(CudaStream stream, Tensor bias, Tensor y, Descriptors d)
    {
        nint bdesc;
        Cudnn.cudnnCreateTensorDescriptor(&bdesc).Check();
        try
        {
            int o = y.Shape[1];
            Cudnn.cudnnSetTensor4dDescriptorEx(bdesc, cudnnDataType_t.CUDNN_DATA_FLOAT, 1, o, 1, 1, o, 1, 1, 1).Check();
            float one = 1f;
            var handle = _lib.Handle;
            lock (_lib.Gate)
            {
                Cudnn.cudnnSetStream(handle, stream.Handle).Check();
                Cudnn.cudnnAddTensor(handle, &one, bdesc, Ptr(bias), &one, d.Y, Ptr(y)).Check("cudnnAddTensor(bias)");
            }
        }
        finally { Cudnn.cudnnDestroyTensorDescriptor(bdesc); }
    }

    private static CuDevicePtr Ptr(Tensor t) => new((ulong)t.Storage.Buffer.Handle + (ulong)(t.Offset * t.DType.SizeOf()));

    /// <inheritdoc/>
    public void Dispose() => _lib.Dispose();

    /// <summary>x/y tensor descriptors (their strides), the filter descriptor and the convolution descriptor of one call.</summary>
    private sealed class Descriptors : IDisposable
    {
        public nint X, W, Y, Conv;

        public Descriptors(Tensor x, Tensor w, Tensor y, Conv2dParams p, bool tf32)
        {
            try
            {
                X = Tensor4d(x);
                Y = Tensor4d(y);
                nint f;
                Cudnn.cudnnCreateFilterDescriptor(&f).Check();
                W = f;
                Cudnn.cudnnSetFilter4dDescriptor(W, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW,
                    w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]).Check($"cudnnSetFilter4dDescriptor({w.Shape})");
                nint c;
                Cudnn.cudnnCreateConvolutionDescriptor(&c).Check();
                Conv = c;
                Cudnn.cudnnSetConvolution2dDescriptor(Conv, p.PadTop, p.PadLeft, p.StrideH, p.StrideW, p.DilationH, p.DilationW,
                    cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, cudnnDataType_t.CUDNN_DATA_FLOAT).Check($"cudnnSetConvolution2dDescriptor({p})");
                if (p.Groups != 1) Cudnn.cudnnSetConvolutionGroupCount(Conv, p.Groups).Check();
                Cudnn.cudnnSetConvolutionMathType(Conv, tf32 ? cudnnMathType_t.CUDNN_DEFAULT_MATH : cudnnMathType_t.CUDNN_FMA_MATH).Check();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private static nint Tensor4d(Tensor t)
        {
            nint d;
            Cudnn.cudnnCreateTensorDescriptor(&d).Check();
            var s = t.Strides.ToArray();
            // A dimension of size 1 may carry any stride; give cuDNN a consistent one.
            int St(int i) => t.Shape[i] == 1 ? (int)Math.Min(int.MaxValue, Inner(t, i)) : (int)s[i];
            var r = Cudnn.cudnnSetTensor4dDescriptorEx(d, cudnnDataType_t.CUDNN_DATA_FLOAT, t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3], St(0), St(1), St(2), St(3));
            if (r != cudnnStatus_t.CUDNN_STATUS_SUCCESS)
            {
                Cudnn.cudnnDestroyTensorDescriptor(d);
                r.Check($"cudnnSetTensor4dDescriptorEx({t.Shape}, strides [{string.Join(", ", s)}])");
            }
            return d;
        }

        /// <summary>Elements spanned by dimensions after <paramref name="i"/> (the packed stride of dimension i).</summary>
        private static long Inner(Tensor t, int i)
        {
            long n = 1;
            for (int d = i + 1; d < 4; d++) n *= t.Shape[d];
            return Math.Max(n, 1);
        }

        public void Dispose()
        {
            if (X != 0) Cudnn.cudnnDestroyTensorDescriptor(X);
            if (Y != 0) Cudnn.cudnnDestroyTensorDescriptor(Y);
            if (W != 0) Cudnn.cudnnDestroyFilterDescriptor(W);
            if (Conv != 0) Cudnn.cudnnDestroyConvolutionDescriptor(Conv);
            X = Y = W = Conv = 0;
        }
    }
}
