using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>
/// The catalog on a GPU through the portable kernels (kernels/portable/*.h), shared by the CUDA and OpenCL backends.
/// Split by op family into partial files; each launcher picks the grid and checks what it must. A backend derives from
/// it to put vendor libraries where they are faster (cuBLASLt GEMM and cuDNN convolution on CUDA).
/// <para>An object is bound to one stream of its device (ggml: a backend is a stream): every launch, scratch lease and
/// host read it makes is ordered on <see cref="Stream"/>. The device's <c>Kernels</c> are bound to its default stream;
/// <c>KernelsOn(stream)</c> gives those of another stream. Disposing releases the deferred-check state.</para>
/// </summary>
public partial class GpuKernels : IKernels, IDeferredChecks, IDisposable
{
    /// <summary>Threads per block of every launch (kernels/portable/common.h BLOCK).</summary>
    public const int Block = 256;

    /// <summary>Most blocks of an element-wise launch; kernels loop over the rest (grid-stride).</summary>
    public const long MaxElementBlocks = 8192;

    /// <summary>The kernels of <paramref name="runtime"/> launching on <paramref name="stream"/>, a stream of its device.</summary>
    public GpuKernels(IGpuRuntime runtime, IStream stream)
    {
        Runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        ArgumentNullException.ThrowIfNull(stream);
        if (!ReferenceEquals(stream.Device, runtime.Device))
            throw new TesseraDeviceException("GpuKernels", nameof(stream), $"the stream belongs to {stream.Device.Id}, not {runtime.Device.Id}");
        Stream = stream;
    }

    /// <summary>The runtime the kernels compile and launch through.</summary>
    public IGpuRuntime Runtime { get; }

    /// <summary>The device the kernels run on.</summary>
    public IDevice Device => Runtime.Device;

    /// <summary>The stream every launch, scratch lease and host read of these kernels is ordered on.</summary>
    public IStream Stream { get; }

    /// <summary>Launches <paramref name="name"/> of <paramref name="family"/> on <see cref="Stream"/>, on a grid of
    /// <paramref name="blocks"/> × <see cref="Block"/> threads.</summary>
    protected internal void Launch(string family, string name, GpuDim blocks, params ReadOnlySpan<GpuArg> args) =>
        Runtime.Launch(Runtime.Function(family, name), Stream, blocks, Block, args);

    /// <summary>One thread per element of [0, n) (grid-stride beyond <see cref="MaxElementBlocks"/> blocks); nothing for n = 0.</summary>
    protected internal void LaunchElements(string family, string name, long n, params ReadOnlySpan<GpuArg> args)
    {
        if (n <= 0) return;
        Launch(family, name, new GpuDim(Math.Min((n + Block - 1) / Block, MaxElementBlocks)), args);
    }

    /// <summary>One block per row of [0, rows); nothing for rows = 0.</summary>
    protected internal void LaunchRows(string family, string name, long rows, params ReadOnlySpan<GpuArg> args)
    {
        if (rows <= 0) return;
        if (rows > int.MaxValue) throw new TesseraArgumentException($"{family}/{name}", "rows", $"{rows} rows exceed one launch");
        Launch(family, name, new GpuDim(rows), args);
    }

    /// <summary>Scratch memory from the device pool, ordered on <see cref="Stream"/> (dispose it after the last launch using it).</summary>
    protected internal Tensor Scratch(DType dtype, params int[] shape) => Tensor.Empty(Device, dtype, new Shape(shape), Stream);

    /// <summary>Like <see cref="Tensor.Contiguous"/> (a view when <paramref name="t"/> is contiguous), but a copy is
    /// scratch made on <see cref="Stream"/>. Dispose the result after the last launch using it.</summary>
    protected internal Tensor Contiguous(Tensor t)
    {
        if (t.IsContiguous) return t.Contiguous();
        var c = Scratch(t.DType, t.Shape.ToArray());
        Copy(t, c);
        return c;
    }

    /// <summary>The elements of <paramref name="t"/> on the host, read after the work queued on <see cref="Stream"/>.</summary>
    protected internal T[] Read<T>(Tensor t) where T : unmanaged
    {
        using var dense = Contiguous(t);
        var a = new T[dense.ElementCount];
        Device.CopyToHost(dense.Storage.Buffer, dense.Offset * dense.DType.SizeOf(), System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()), Stream);
        return a;
    }

    /// <summary>Kernel-name suffix of a dtype ({op}_{pass}_{dtype}).</summary>
    protected internal static string Suffix(DType dtype) => dtype switch
    {
        DType.Float32 => "f32", DType.Float16 => "f16", DType.BFloat16 => "bf16", DType.Int32 => "i32", DType.Int64 => "i64",
        DType.UInt8 => "u8", DType.Bool => "b8", DType.Float64 => "f64",
        _ => throw new TesseraDTypeException("GpuKernels", "dtype", $"no GPU kernels for {dtype}"),
    };

    private Tensor? _fault;                                   // Int64 [4]: code, value, element, bound (0: no fault)
    private readonly Dictionary<long, string> _faultSites = new();
    private long _faultCode;
    private volatile bool _faultPending;
    private readonly object _faultGate = new();

    /// <inheritdoc/>
    public bool DeferChecks { get; set; }

    /// <summary>Deferred check: records on the device the first index of <paramref name="indices"/> outside [lo, hi)
    /// (<paramref name="ignore"/> excepted); <paramref name="site"/> describes the call for the error message.</summary>
    protected internal void DeferIndexCheck(string site, Tensor indices, long lo, long hi, long ignore)
    {
        long k = indices.ElementCount;
        if (k == 0) return;
        long code;
        lock (_faultGate)
        {
            if (_fault is null)
            {
                _fault = Scratch(DType.Int64, 4);
                Fill(_fault, 0);
            }
            code = ++_faultCode;
            _faultSites[code] = site;
        }
        LaunchElements("core", "index_fault_" + Suffix(indices.DType), k,
            GpuArg.Viewed(indices, site), GpuArg.I64(k), GpuArg.I64(lo), GpuArg.I64(hi), GpuArg.I64(ignore), GpuArg.Dense(_fault, site), GpuArg.I64(code));
        _faultPending = true;
    }

    /// <inheritdoc/>
    public void RaiseDeferredErrors()
    {
        if (!_faultPending) return;
        _faultPending = false; // before the read: the read itself comes back through the device's copy hook
        var fault = _fault!;
        long[] f = Read<long>(fault);
        string site;
        lock (_faultGate)
        {
            site = f[0] != 0 && _faultSites.TryGetValue(f[0], out var s0) ? s0 : "an index check";
            _faultSites.Clear();
        }
        if (f[0] == 0) return;
        Fill(fault, 0);
        throw new TesseraArgumentException(site, "indices",
            $"index {f[1]} (element {f[2]}) is outside the valid range (bound {f[3]}); found by a deferred device check and reported at the next read");
    }

    /// <summary>Releases the deferred-check state (the stream is going away).</summary>
    public void Dispose()
    {
        lock (_faultGate)
        {
            _fault?.Dispose();
            _fault = null;
            _faultSites.Clear();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>True when the portable kernels run <paramref name="op"/> for <paramref name="dtype"/> (see <see cref="OpTable"/>).</summary>
    public virtual bool Supports(OpKind op, DType dtype) => OpTable.Supports(op, dtype);

    /// <summary>The error for a case the portable kernels do not cover.</summary>
    protected internal static TesseraException Unsupported(string op, string what) =>
        new TesseraArgumentException(op, "input", $"not supported by the GPU kernels: {what}");
}
