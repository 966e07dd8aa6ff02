using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Cuda.Interop;
using Tessera.Devices;

namespace Tessera.Cuda;

/// <summary>
/// The CUDA backend. Registers itself when the assembly loads. Available when libcuda loads, cuInit succeeds and at
/// least one device is present; otherwise unavailable with the reason and every library location tried.
/// <see cref="GetDevice"/> returns one shared <see cref="CudaDevice"/> per ordinal (UNTESTED ON A GPU).
/// </summary>
public sealed class CudaBackend : IBackend
{
    private readonly Lazy<(BackendStatus Status, int Count)> _probe;
    private readonly Dictionary<int, CudaDevice> _devices = new();

    /// <summary>The CUDA backend (one per process).</summary>
    public static CudaBackend Instance { get; } = new();

#pragma warning disable CA2255 // a library registering its backend on load is the intended use here
    [ModuleInitializer]
    internal static void RegisterOnLoad()
    {
        CudaLibraries.InstallResolver();
        BackendRegistry.Register(Instance);
    }
#pragma warning restore CA2255

    private CudaBackend() => _probe = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cuda;
    /// <inheritdoc/>
    public string Name => "CUDA";
    /// <inheritdoc/>
    public BackendStatus Status => _probe.Value.Status;
    /// <inheritdoc/>
    public int DeviceCount => _probe.Value.Count;

    /// <inheritdoc/>
    public IDevice GetDevice(int ordinal = 0)
    {
        const string op = "CudaBackend.GetDevice";
        var status = Status;
        if (!status.Available) throw new TesseraDeviceException(op, nameof(ordinal), $"CUDA is unavailable: {status.Reason}");
        if (ordinal < 0 || ordinal >= DeviceCount)
            throw new TesseraDeviceException(op, nameof(ordinal), $"CUDA device {ordinal} does not exist ({DeviceCount} present)");
        lock (_devices)
        {
            if (_devices.TryGetValue(ordinal, out var d)) return d;
            d = new CudaDevice(ordinal);
            _devices[ordinal] = d;
            return d;
        }
    }

    /// <summary>The device of <paramref name="ordinal"/> as a <see cref="CudaDevice"/> (created once, shared).</summary>
    public CudaDevice GetCudaDevice(int ordinal = 0) => (CudaDevice)GetDevice(ordinal);

    /// <summary>Probes the driver: library, cuInit, device count.</summary>
    internal static unsafe (BackendStatus, int) Probe()
    {
        var driver = CudaLibraries.Get(CudaLibrary.Driver);
        if (!driver.Loaded)
            return (BackendStatus.Unavailable(
                $"{CudaLibraries.Spec(CudaLibrary.Driver).Display} was not found, so there is no usable NVIDIA driver here " +
                $"({driver.Attempts.Count} locations tried; set {CudaLibraries.Spec(CudaLibrary.Driver).OverrideVariable} to point at it)",
                driver.Attempts), 0);
        try
        {
            var r = CuDriver.cuInit(0);
            if (r != CUresult.CUDA_SUCCESS)
                return (BackendStatus.Unavailable($"cuInit(0) failed: {CudaCheck.Error(r, "cuInit(0)").Message}", driver.Attempts), 0);
            int count = 0;
            r = CuDriver.cuDeviceGetCount(&count);
            if (r != CUresult.CUDA_SUCCESS)
                return (BackendStatus.Unavailable($"cuDeviceGetCount failed: {CudaCheck.Error(r, "cuDeviceGetCount(&count)").Message}", driver.Attempts), 0);
            if (count == 0) return (BackendStatus.Unavailable($"libcuda loaded from {driver.Path} but no CUDA device is present", driver.Attempts), 0);
            return (BackendStatus.Ok, count);
        }
        catch (EntryPointNotFoundException e)
        {
            return (BackendStatus.Unavailable($"libcuda at {driver.Path} lacks a required entry point: {e.Message}", driver.Attempts), 0);
        }
    }

    /// <inheritdoc/>
    public unsafe IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        static KeyValuePair<string, string> P(string k, string v) => new(k, v);
        var list = new List<KeyValuePair<string, string>>();
        if (!Status.Available) { list.Add(P("status", Status.Reason)); return list; }

        int driverVersion = 0;
        CuDriver.cuDriverGetVersion(&driverVersion).Check();
        list.Add(P("driver API", $"{driverVersion / 1000}.{driverVersion % 1000 / 10} (libcuda at {CudaLibraries.Get(CudaLibrary.Driver).Path})"));
        for (int i = 0; i < DeviceCount; i++)
        {
            var d = CudaDeviceInfo.Query(i);
            list.Add(P($"cuda:{i}", $"{d.Name}, compute capability {d.Major}.{d.Minor}, {d.TotalMemory / (1L << 20)} MiB, {d.Multiprocessors} SMs"));
        }
        list.Add(P("NVRTC", LibraryVersion(CudaLibrary.Nvrtc, () =>
        {
            int major = 0, minor = 0;
            Nvrtc.nvrtcVersion(&major, &minor).Check();
            return $"{major}.{minor}";
        })));
        list.Add(P("cuBLASLt", LibraryVersion(CudaLibrary.CublasLt, () => CublasLt.cublasLtGetVersion().ToString())));
        list.Add(P("cuDNN", LibraryVersion(CudaLibrary.Cudnn, () => Cudnn.cudnnGetVersion().ToString())));
        list.Add(P("NCCL", LibraryVersion(CudaLibrary.Nccl, () =>
        {
            int code = 0;
            Nccl.ncclGetVersion(&code).Check();
            return Nccl.VersionText(code);
        })));
        list.Add(P("memory pool", "caching allocator (small ≤ 1 MiB from 2 MiB segments, large from 20 MiB+ segments)"));
        list.Add(P("kernels", $"portable GPU kernels via NVRTC ({LibraryVersion(CudaLibrary.Nvrtc, () => NvrtcCompiler.Toolchain)}), " +
            "GEMM on cuBLASLt and convolution on cuDNN where they load"));
        list.Add(P("PTX cache", NvrtcCompiler.DefaultCacheDirectory));
        return list;
    }

    private static string LibraryVersion(CudaLibrary library, Func<string> version)
    {
        var load = CudaLibraries.Get(library);
        if (!load.Loaded) return $"not found ({load.Attempts.Count} locations tried; {CudaLibraries.Spec(library).OverrideVariable} overrides)";
        try { return $"{version()} ({load.Path})"; }
        catch (Exception e) when (e is TesseraBackendException or EntryPointNotFoundException) { return $"loaded from {load.Path} but unusable: {e.Message}"; }
    }
}

/// <summary>Facts about one device, read through the driver API.</summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, int Major, int Minor, long TotalMemory, int Multiprocessors, int L2CacheBytes, int MaxSharedPerBlockOptin)
{
    /// <summary>The properties of CUDA device <paramref name="ordinal"/>, read from the driver.</summary>
    public static unsafe CudaDeviceInfo Query(int ordinal)
    {
        CuDevice found;
        CuDriver.cuDeviceGet(&found, ordinal).Check();
        var dev = found;
        byte* name = stackalloc byte[256];
        CuDriver.cuDeviceGetName(name, 256, dev).Check();
        nuint total;
        CuDriver.cuDeviceTotalMem_v2(&total, dev).Check();
        int Attr(CUdevice_attribute a)
        {
            int v;
            CuDriver.cuDeviceGetAttribute(&v, a, dev).Check();
            return v;
        }
        return new CudaDeviceInfo(ordinal, Marshal.PtrToStringUTF8((nint)name) ?? "?",
            Attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), Attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
            (long)total, Attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), Attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE),
            Attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN));
    }
}
