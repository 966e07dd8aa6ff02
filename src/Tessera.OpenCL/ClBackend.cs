using System.Runtime.CompilerServices;
using System.Text;
using Tessera.Devices;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>
/// The OpenCL backend: every device of every installed platform (GPUs of AMD, Intel or NVIDIA drivers; POCL's CPU
/// device in CI). Registers itself when the assembly loads. Unavailable, with the reason, when the ICD loader is
/// missing or no platform or device is installed.
/// </summary>
public sealed class ClBackend : IBackend
{
    private readonly Lazy<(BackendStatus Status, ClDeviceInfo[] Devices)> _probe;
    private readonly ClDevice?[] _open = new ClDevice?[64];
    private readonly object _gate = new();

    /// <summary>The OpenCL backend (one per process).</summary>
    public static ClBackend Instance { get; } = new();

#pragma warning disable CA2255 // a library registering its backend on load is the intended use here
    [ModuleInitializer]
    internal static void RegisterOnLoad()
    {
        ClLibrary.InstallResolver();
        BackendRegistry.Register(Instance);
    }
#pragma warning restore CA2255

    private ClBackend() => _probe = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.OpenCL;
    /// <inheritdoc/>
    public string Name => "OpenCL";
    /// <inheritdoc/>
    public BackendStatus Status => _probe.Value.Status;
    /// <inheritdoc/>
    public int DeviceCount => _probe.Value.Devices.Length;

    /// <summary>The devices found (empty when unavailable).</summary>
    public IReadOnlyList<ClDeviceInfo> Devices => _probe.Value.Devices;

    /// <inheritdoc/>
    public IDevice GetDevice(int ordinal = 0)
    {
        const string op = "ClBackend.GetDevice";
        var status = Status;
        if (!status.Available) throw new TesseraDeviceException(op, nameof(ordinal), $"OpenCL is unavailable: {status.Reason}");
        if (ordinal < 0 || ordinal >= DeviceCount)
            throw new TesseraDeviceException(op, nameof(ordinal), $"OpenCL device {ordinal} does not exist ({DeviceCount} present)");
        lock (_gate) return _open[ordinal] ??= new ClDevice(ordinal, Devices[ordinal]);
    }

    private static unsafe (BackendStatus, ClDeviceInfo[]) Probe()
    {
        if (ClLibrary.Load() == 0)
            return (BackendStatus.Unavailable(
                $"the OpenCL ICD loader (libOpenCL.so.1) was not found ({ClLibrary.Attempts.Count} locations tried; install ocl-icd-libopencl1 " +
                $"and a driver such as pocl-opencl-icd, or set {ClLibrary.OverrideVariable})", ClLibrary.Attempts), Array.Empty<ClDeviceInfo>());
        try
        {
            uint count = 0;
            int r = Cl.clGetPlatformIDs(0, null, &count);
            if (r == Cl.CL_PLATFORM_NOT_FOUND_KHR || (r == Cl.CL_SUCCESS && count == 0))
                return (BackendStatus.Unavailable($"libOpenCL loaded from {ClLibrary.Path} but no OpenCL platform (ICD) is installed; " +
                    "install a driver such as pocl-opencl-icd", ClLibrary.Attempts), Array.Empty<ClDeviceInfo>());
            r.Check("clGetPlatformIDs");
            var platforms = new nint[count];
            fixed (nint* p = platforms) Cl.clGetPlatformIDs(count, p, null).Check();
            var found = new List<ClDeviceInfo>();
            foreach (var platform in platforms)
            {
                uint n = 0;
                r = Cl.clGetDeviceIDs(platform, Cl.CL_DEVICE_TYPE_ALL, 0, null, &n);
                if (r == Cl.CL_DEVICE_NOT_FOUND || n == 0) continue;
                r.Check("clGetDeviceIDs");
                var devices = new nint[n];
                fixed (nint* d = devices) Cl.clGetDeviceIDs(platform, Cl.CL_DEVICE_TYPE_ALL, n, d, null).Check();
                foreach (var d in devices) found.Add(ClDeviceInfo.Query(platform, d));
            }
            if (found.Count == 0)
                return (BackendStatus.Unavailable($"{platforms.Length} OpenCL platform(s) but no device", ClLibrary.Attempts), Array.Empty<ClDeviceInfo>());
            return (BackendStatus.Ok, found.ToArray());
        }
        catch (Exception e) when (e is TesseraException or EntryPointNotFoundException)
        {
            return (BackendStatus.Unavailable($"OpenCL probe failed: {e.Message}", ClLibrary.Attempts), Array.Empty<ClDeviceInfo>());
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var list = new List<KeyValuePair<string, string>>();
        if (!Status.Available) { list.Add(new("status", Status.Reason)); return list; }
        for (int i = 0; i < DeviceCount; i++)
        {
            var d = Devices[i];
            list.Add(new($"opencl:{i}", $"{d.Name} ({d.Type}), {d.PlatformName}, {d.ComputeUnits} compute units, {d.GlobalMemory / (1L << 20)} MiB, " +
                $"driver {d.DriverVersion}, {d.Version}{(d.HasFp64 ? "" : ", no fp64")}"));
        }
        list.Add(new("kernels", "portable kernels (kernels/portable) compiled per device, binaries cached on disk"));
        return list;
    }
}

/// <summary>Facts about one OpenCL device.</summary>
public sealed record ClDeviceInfo(nint PlatformId, nint Id, string PlatformName, string Name, string Type, string Vendor, string DriverVersion,
    string Version, int ComputeUnits, long GlobalMemory, long MaxAllocation, long LocalMemory, int MaxWorkGroupSize, bool HasFp64)
{
    internal static unsafe ClDeviceInfo Query(nint platform, nint device)
    {
        string PStr(uint name)
        {
            nuint size = 0;
            Cl.clGetPlatformInfo(platform, name, 0, null, &size).Check("clGetPlatformInfo");
            var b = new byte[(int)size];
            fixed (byte* p = b) Cl.clGetPlatformInfo(platform, name, size, p, null).Check("clGetPlatformInfo");
            return Encoding.UTF8.GetString(b).TrimEnd('\0').Trim();
        }
        string DStr(uint name)
        {
            nuint size = 0;
            Cl.clGetDeviceInfo(device, name, 0, null, &size).Check("clGetDeviceInfo");
            var b = new byte[(int)size];
            fixed (byte* p = b) Cl.clGetDeviceInfo(device, name, size, p, null).Check("clGetDeviceInfo");
            return Encoding.UTF8.GetString(b).TrimEnd('\0').Trim();
        }
        T DVal<T>(uint name) where T : unmanaged
        {
            T v = default;
            Cl.clGetDeviceInfo(device, name, (nuint)sizeof(T), &v, null).Check("clGetDeviceInfo");
            return v;
        }
        ulong type = DVal<ulong>(Cl.CL_DEVICE_TYPE);
        string typeName = (type & Cl.CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & Cl.CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "accelerator";
        string extensions = DStr(Cl.CL_DEVICE_EXTENSIONS);
        return new ClDeviceInfo(platform, device, $"{PStr(Cl.CL_PLATFORM_NAME)} {PStr(Cl.CL_PLATFORM_VERSION)}", DStr(Cl.CL_DEVICE_NAME), typeName,
            DStr(Cl.CL_DEVICE_VENDOR), DStr(Cl.CL_DRIVER_VERSION), DStr(Cl.CL_DEVICE_VERSION), (int)DVal<uint>(Cl.CL_DEVICE_MAX_COMPUTE_UNITS),
            (long)DVal<ulong>(Cl.CL_DEVICE_GLOBAL_MEM_SIZE), (long)DVal<ulong>(Cl.CL_DEVICE_MAX_MEM_ALLOC_SIZE), (long)DVal<ulong>(Cl.CL_DEVICE_LOCAL_MEM_SIZE),
            (int)DVal<nuint>(Cl.CL_DEVICE_MAX_WORK_GROUP_SIZE), extensions.Contains("cl_khr_fp64", StringComparison.Ordinal));
    }
}
