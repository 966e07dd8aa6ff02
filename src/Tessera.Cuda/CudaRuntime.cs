using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Gpu;

namespace Tessera.Cuda;

/// <summary>
/// <see cref="IGpuRuntime"/> on the CUDA driver: one module per kernel family (NVRTC PTX for the device's compute
/// capability, through <see cref="NvrtcCompiler"/>'s disk cache, loaded with cuModuleLoadDataEx so that JIT errors come
/// with the driver's log), functions cached by name, launches with cuLaunchKernel on the stream each launch names.
/// Kernel parameters: Tensor → u64 device address + i64 element offset; View → u64 address + the 144-byte
/// <see cref="Strided"/> by value; Buffer → u64; Int32/Int64/Float32 → 4/8/4 bytes. Each parameter gets an 8-byte
/// aligned slot in one block, and the <c>void**</c> array cuLaunchKernel takes points at the slots (the driver copies
/// the values during the call). With <c>TESSERA_CUDA_SYNC=1</c> every launch is synchronised, so that an asynchronous
/// fault is reported at the kernel that caused it. UNTESTED ON A GPU.
/// </summary>
internal sealed unsafe class CudaRuntime : IGpuRuntime
{
    /// <summary>Set to 1 to synchronise after every launch (debugging: faults name their kernel).</summary>
    public const string SyncVariable = "TESSERA_CUDA_SYNC";

    /// <summary>Most parameter bytes of one launch (the driver's limit is 4 KiB before CUDA 12.1).</summary>
    public const int MaxParameterBytes = 4096;

    private readonly CudaDevice _device;
    private readonly ConcurrentDictionary<string, Lazy<CuModule>> _modules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Family, string Name), GpuFunction> _functions = new();

    internal CudaRuntime(CudaDevice device)
    {
        _device = device;
        SyncEachLaunch = Environment.GetEnvironmentVariable(SyncVariable) == "1";
    }

    public GpuDialect Dialect => GpuDialect.Cuda;
    public IDevice Device => _device;

    /// <summary>Synchronise after every launch (from <see cref="SyncVariable"/>; settable for debugging).</summary>
    public bool SyncEachLaunch { get; set; }

    /// <summary>The PTX images compiled or read for this device, by family (for diagnostics).</summary>
    public ConcurrentDictionary<string, PtxImage> Images { get; } = new(StringComparer.Ordinal);

    public GpuFunction Function(string family, string name) =>
        _functions.GetOrAdd((family, name), static (key, self) => self.Resolve(key.Family, key.Name), this);

    private GpuFunction Resolve(string family, string name)
    {
        var module = _modules.GetOrAdd(family, f => new Lazy<CuModule>(() => LoadModule(f), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
        _device.Context.MakeCurrent();
        CuFunction fn;
        byte[] cname = Encoding.ASCII.GetBytes(name + "\0");
        CUresult r;
        fixed (byte* p = cname) r = CuDriver.cuModuleGetFunction(&fn, module, p);
        if (r == CUresult.CUDA_ERROR_NOT_FOUND)
            throw new TesseraBackendException($"{family}/{name}", $"kernel family '{family}' has no kernel '{name}' (kernels/portable/{family}.h)");
        r.Check($"cuModuleGetFunction({family}/{name})");
        return new GpuFunction(family, name, fn.Value);
    }

    private CuModule LoadModule(string family)
    {
        var info = _device.Info;
        var image = NvrtcCompiler.CompileFamily(family, info.Major, info.Minor);
        Images[family] = image;
        _device.Context.MakeCurrent();
        const int logBytes = 16 << 10;
        byte* errorLog = stackalloc byte[logBytes];
        errorLog[0] = 0;
        CUjit_option* opts = stackalloc CUjit_option[2];
        void** values = stackalloc void*[2];
        opts[0] = CUjit_option.CU_JIT_ERROR_LOG_BUFFER;
        values[0] = errorLog;
        opts[1] = CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES;
        values[1] = (void*)(nuint)logBytes;   // a size option's value travels in the pointer itself
        CuModule module;
        CUresult r;
        fixed (byte* ptx = image.Ptx) r = CuDriver.cuModuleLoadDataEx(&module, ptx, 2, opts, values);
        if (r != CUresult.CUDA_SUCCESS)
        {
            string log = Marshal.PtrToStringUTF8((nint)errorLog) ?? "";
            throw new TesseraBackendException($"CudaRuntime({family})",
                $"the driver could not load the PTX of kernel family '{family}' ({string.Join(" ", image.Options)}, {NvrtcCompiler.Toolchain}): " +
                $"{CudaCheck.Error(r, "cuModuleLoadDataEx").Message}" + (log.Length > 0 ? $"\nJIT log:\n{log}" : "") +
                (r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? "\nNVRTC is newer than the driver: use the NVRTC of the driver's CUDA version (TESSERA_LIBNVRTC)." : ""));
        }
        return module;
    }

    /// <summary>Bytes of the parameter slots the arguments need (each slot 8-byte aligned).</summary>
    internal static int ParameterBytes(ReadOnlySpan<GpuArg> args)
    {
        int total = 0;
        foreach (ref readonly var a in args)
            total += a.Kind switch
            {
                GpuArgKind.Tensor => 16,
                GpuArgKind.View => 8 + sizeof(Strided),
                _ => 8,
            };
        return total;
    }

    /// <summary>Number of kernel parameters the arguments expand to.</summary>
    internal static int ParameterCount(ReadOnlySpan<GpuArg> args)
    {
        int n = 0;
        foreach (ref readonly var a in args) n += a.Kind is GpuArgKind.Tensor or GpuArgKind.View ? 2 : 1;
        return n;
    }

    /// <summary>Writes the parameter values into <paramref name="slots"/> and their addresses into <paramref name="pointers"/>.</summary>
    internal static void WriteParameters(ReadOnlySpan<GpuArg> args, byte* slots, void** pointers)
    {
        int off = 0, k = 0;
        foreach (ref readonly var a in args)
        {
            switch (a.Kind)
            {
                case GpuArgKind.Tensor:
                    *(ulong*)(slots + off) = (ulong)a.Buffer; pointers[k++] = slots + off; off += 8;
                    *(long*)(slots + off) = a.Int; pointers[k++] = slots + off; off += 8;
                    break;
                case GpuArgKind.View:
                    *(ulong*)(slots + off) = (ulong)a.Buffer; pointers[k++] = slots + off; off += 8;
                    *(Strided*)(slots + off) = a.View; pointers[k++] = slots + off; off += sizeof(Strided);
                    break;
                case GpuArgKind.Buffer:
                    *(ulong*)(slots + off) = (ulong)a.Buffer; pointers[k++] = slots + off; off += 8;
                    break;
                case GpuArgKind.Int32:
                    *(int*)(slots + off) = checked((int)a.Int); pointers[k++] = slots + off; off += 8;
                    break;
                case GpuArgKind.Int64:
                    *(long*)(slots + off) = a.Int; pointers[k++] = slots + off; off += 8;
                    break;
                case GpuArgKind.Float32:
                    *(float*)(slots + off) = a.Real; pointers[k++] = slots + off; off += 8;
                    break;
                default:
                    throw new TesseraBackendException("CudaRuntime.Launch", $"unknown argument kind {a.Kind}");
            }
        }
    }

    public void Launch(GpuFunction fn, IStream stream, GpuDim blocks, int threads, ReadOnlySpan<GpuArg> args)
    {
        string op = fn.ToString();
        var s = CudaStream.Of(stream, _device, op);
        if (threads < 1 || threads > 1024) throw new TesseraArgumentException(op, nameof(threads), $"{threads} threads per block (must be 1..1024)");
        if (blocks.X < 1 || blocks.X > int.MaxValue || blocks.Y < 1 || blocks.Y > 65535 || blocks.Z < 1 || blocks.Z > 65535)
            throw new TesseraArgumentException(op, nameof(blocks), $"grid {blocks} outside the CUDA limits (X ≤ 2³¹−1, Y and Z ≤ 65535, all ≥ 1)");
        int bytes = ParameterBytes(args);
        if (bytes > MaxParameterBytes) throw new TesseraArgumentException(op, nameof(args), $"{bytes} bytes of kernel parameters exceed {MaxParameterBytes}");
        for (int i = 0; i < args.Length; i++)
            if (args[i].Kind is GpuArgKind.Tensor or GpuArgKind.View or GpuArgKind.Buffer && !_device.Context.Memory.IsLive((ulong)args[i].Buffer))
                throw new TesseraDeviceException(op, $"argument {i}", $"is not memory of {_device.Id} (a tensor of another device?)");
        int count = ParameterCount(args);
        byte* slots = stackalloc byte[bytes + 8];
        slots = (byte*)(((nuint)slots + 7) & ~(nuint)7);
        void** pointers = stackalloc void*[Math.Max(count, 1)];
        WriteParameters(args, slots, pointers);
        _device.Context.MakeCurrent();
        CuDriver.cuLaunchKernel(new CuFunction(fn.Handle), (uint)blocks.X, (uint)blocks.Y, (uint)blocks.Z, (uint)threads, 1, 1, 0,
            s.Handle, pointers, null).Check($"cuLaunchKernel({op}, grid {blocks}, {threads} threads)");
        if (SyncEachLaunch) CuDriver.cuStreamSynchronize(s.Handle).Check($"cuStreamSynchronize after {op}");
    }

    /// <summary>Unloads every module (the device is shutting down).</summary>
    internal void Unload()
    {
        _device.Context.MakeCurrent();
        foreach (var m in _modules.Values)
            if (m.IsValueCreated) CuDriver.cuModuleUnload(m.Value);
        _modules.Clear();
        _functions.Clear();
    }
}
