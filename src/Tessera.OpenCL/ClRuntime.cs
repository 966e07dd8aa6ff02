using System.Collections.Concurrent;
using System.Text;
using Tessera.Devices;
using Tessera.Diagnostics;
using Tessera.Gpu;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>Compiles the portable kernel families for one OpenCL device and launches them. A family's program is
/// built on first use (binaries cached on disk under <c>$TESSERA_CACHE_DIR/opencl</c> or
/// <c>~/.cache/tessera/opencl</c>, keyed by a hash of the source, the build options, the device and its driver
/// version); kernels are created once per name.</summary>
internal sealed unsafe class ClRuntime : IGpuRuntime, IDisposable
{
    public const string BuildOptions = "-cl-std=CL1.2";

    private readonly ClDevice _device;
    private readonly ConcurrentDictionary<string, Lazy<nint>> _programs = new();
    private readonly ConcurrentDictionary<(string, string), GpuFunction> _functions = new();

    public ClRuntime(ClDevice device) => _device = device;

    public GpuDialect Dialect => GpuDialect.OpenCL;
    public IDevice Device => _device;

    /// <summary>Where built program binaries are kept.</summary>
    public static string CacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("TESSERA_CACHE_DIR");
            if (string.IsNullOrWhiteSpace(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".cache", "tessera");
            return Path.Combine(root, "opencl");
        }
    }

    public GpuFunction Function(string family, string name) =>
        _functions.GetOrAdd((family, name), key =>
        {
            nint program = Program(key.Item1);
            int err;
            var bytes = Encoding.ASCII.GetBytes(key.Item2 + "\0");
            nint kernel;
            fixed (byte* p = bytes) kernel = Cl.clCreateKernel(program, p, &err);
            if (err != Cl.CL_SUCCESS)
                throw new TesseraBackendException($"{key.Item1}/{key.Item2}", $"clCreateKernel failed with {ClCheck.Name(err)}: no kernel '{key.Item2}' in family '{key.Item1}'");
            return new GpuFunction(key.Item1, key.Item2, kernel);
        });

    private nint Program(string family) =>
        _programs.GetOrAdd(family, f => new Lazy<nint>(() => Build(f), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private nint Build(string family)
    {
        string source = GpuSources.Program(GpuDialect.OpenCL, family);
        var info = _device.Info;
        string key = GpuSources.Hash(source, BuildOptions, $"{info.PlatformName}|{info.Name}|{info.DriverVersion}|{info.Version}");
        string cached = Path.Combine(CacheDirectory, key + ".bin");
        nint id = info.Id;
        if (File.Exists(cached))
        {
            try
            {
                var bin = File.ReadAllBytes(cached);
                int status, err;
                nuint len = (nuint)bin.Length;
                nint program;
                fixed (byte* b = bin)
                {
                    byte* pb = b;
                    program = Cl.clCreateProgramWithBinary(_device.Context, 1, &id, &len, &pb, &status, &err);
                }
                if (err == Cl.CL_SUCCESS && status == Cl.CL_SUCCESS && BuildProgram(program, id) == Cl.CL_SUCCESS)
                {
                    CompileCacheLog.Hit("OpenCL", family, cached);
                    return program;
                }
                if (program != 0) _ = Cl.clReleaseProgram(program); // cleanup before the rebuild: status dropped (see ClCheck)
            }
            catch (IOException) { }
            TryDelete(cached); // unreadable or rejected by the driver: rebuild from source
            CompileCacheLog.Miss("OpenCL", family, $"the cached binary {cached} was unreadable or rejected by the driver");
        }
        else CompileCacheLog.Miss("OpenCL", family, $"not in the cache ({cached})");

        nint prog;
        var text = Encoding.UTF8.GetBytes(source);
        fixed (byte* t = text)
        {
            byte* pt = t;
            nuint len = (nuint)text.Length;
            int err;
            prog = Cl.clCreateProgramWithSource(_device.Context, 1, &pt, &len, &err);
            err.Check("clCreateProgramWithSource");
        }
        int r = BuildProgram(prog, id);
        if (r != Cl.CL_SUCCESS)
        {
            string log = BuildLog(prog, id);
            _ = Cl.clReleaseProgram(prog); // cleanup: the build error is what reports (see ClCheck)
            throw new TesseraBackendException($"OpenCL build of kernel family '{family}'",
                $"clBuildProgram failed with {ClCheck.Name(r)} on {info.Name}:\n{log}");
        }
        SaveBinary(prog, cached);
        return prog;
    }

    private static int BuildProgram(nint program, nint device)
    {
        var opts = Encoding.ASCII.GetBytes(BuildOptions + "\0");
        fixed (byte* o = opts) return Cl.clBuildProgram(program, 1, &device, o, 0, 0);
    }

    private static string BuildLog(nint program, nint device)
    {
        nuint size = 0;
        if (Cl.clGetProgramBuildInfo(program, device, Cl.CL_PROGRAM_BUILD_LOG, 0, null, &size) != Cl.CL_SUCCESS) return "(no build log)";
        var b = new byte[(int)size];
        fixed (byte* p = b)
            if (Cl.clGetProgramBuildInfo(program, device, Cl.CL_PROGRAM_BUILD_LOG, size, p, null) != Cl.CL_SUCCESS) return "(no build log)";
        return Encoding.UTF8.GetString(b).TrimEnd('\0').Trim();
    }

    private static void SaveBinary(nint program, string path)
    {
        try
        {
            nuint size;
            if (Cl.clGetProgramInfo(program, Cl.CL_PROGRAM_BINARY_SIZES, (nuint)sizeof(nuint), &size, null) != Cl.CL_SUCCESS || size == 0) return;
            var bin = new byte[(int)size];
            fixed (byte* b = bin)
            {
                byte* pb = b;
                if (Cl.clGetProgramInfo(program, Cl.CL_PROGRAM_BINARIES, (nuint)sizeof(nint), &pb, null) != Cl.CL_SUCCESS) return;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(tmp, bin);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the cache is an optimisation
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public void Launch(GpuFunction fn, IStream stream, GpuDim blocks, int threads, ReadOnlySpan<GpuArg> args)
    {
        var queue = _device.Queue(stream, fn.ToString());
        for (int i = 0; i < args.Length; i++)
            if (args[i].Kind is GpuArgKind.Tensor or GpuArgKind.View or GpuArgKind.Buffer && !_device.Memory.Owns(args[i].Buffer))
                throw new TesseraDeviceException($"{fn}", $"argument {i}", $"is not memory of {_device.Id} (a tensor of another device?)");
        nint kernel = fn.Handle;
        lock (fn.Gate) // a cl_kernel holds its arguments until the enqueue
        {
            uint index = 0;
            foreach (ref readonly var a in args)
            {
                switch (a.Kind)
                {
                    case GpuArgKind.Tensor:
                        SetBuffer(fn, index++, a.Buffer);
                        long off = a.Int;
                        Set(fn, index++, sizeof(long), &off);
                        break;
                    case GpuArgKind.View:
                        SetBuffer(fn, index++, a.Buffer);
                        var view = a.View;
                        Set(fn, index++, sizeof(Strided), &view);
                        break;
                    case GpuArgKind.Buffer:
                        SetBuffer(fn, index++, a.Buffer);
                        break;
                    case GpuArgKind.Int32:
                        int i32 = (int)a.Int;
                        Set(fn, index++, sizeof(int), &i32);
                        break;
                    case GpuArgKind.Int64:
                        long i64 = a.Int;
                        Set(fn, index++, sizeof(long), &i64);
                        break;
                    case GpuArgKind.Float32:
                        float f = a.Real;
                        Set(fn, index++, sizeof(float), &f);
                        break;
                }
            }
            nuint* global = stackalloc nuint[3];
            nuint* local = stackalloc nuint[3];
            global[0] = (nuint)(blocks.X * threads); global[1] = (nuint)blocks.Y; global[2] = (nuint)blocks.Z;
            local[0] = (nuint)threads; local[1] = 1; local[2] = 1;
            uint dims = blocks.Z > 1 ? 3u : blocks.Y > 1 ? 2u : 1u;
            int r = Cl.clEnqueueNDRangeKernel(queue.Handle, kernel, dims, null, global, local, 0, null, null);
            if (r != Cl.CL_SUCCESS) throw ClCheck.Error(r, $"clEnqueueNDRangeKernel({fn}, blocks {blocks}, {threads} threads)");
        }
        if (ClMemoryPool.Guarded) CheckGuards(fn, queue, blocks, args); // buffers allocated while guarded carry a band
    }

    /// <summary>Guarded mode: after the launch, every buffer argument's guard band must be intact.</summary>
    private void CheckGuards(GpuFunction fn, ClQueue queue, GpuDim blocks, ReadOnlySpan<GpuArg> args)
    {
        queue.Synchronize();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].Kind is not (GpuArgKind.Tensor or GpuArgKind.View or GpuArgKind.Buffer)) continue;
            if (_device.Memory.CheckGuard(args[i].Buffer) is { } problem)
                throw new TesseraBackendException($"{fn}", $"kernel wrote out of bounds (argument {i}, grid {blocks}): {problem}");
        }
    }

    private static void SetBuffer(GpuFunction fn, uint index, nint mem) => Set(fn, index, sizeof(nint), &mem);

    private static void Set(GpuFunction fn, uint index, int size, void* value)
    {
        int r = Cl.clSetKernelArg(fn.Handle, index, (nuint)size, value);
        if (r != Cl.CL_SUCCESS) throw ClCheck.Error(r, $"clSetKernelArg({fn}, argument {index}, {size} bytes)");
    }

    public void Dispose()
    {
        // Cleanup: the statuses are dropped (see ClCheck).
        foreach (var f in _functions.Values) _ = Cl.clReleaseKernel(f.Handle);
        _functions.Clear();
        foreach (var p in _programs.Values) if (p.IsValueCreated) _ = Cl.clReleaseProgram(p.Value);
        _programs.Clear();
    }
}
