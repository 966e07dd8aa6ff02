using System.Reflection;
using System.Runtime.InteropServices;
using Tessera.Diagnostics;

namespace Tessera.Cuda.Interop;

/// <summary>The native libraries the CUDA backend binds.</summary>
internal enum CudaLibrary { Driver, Nvrtc, CublasLt, Cudnn, Nccl }

/// <summary>What is probed for one library: file names per OS, the override variable, and the wheel folders it ships in.</summary>
internal sealed record CudaLibrarySpec(CudaLibrary Library, string Display, string OverrideVariable, string[] LinuxNames, string[] WindowsNames);

/// <summary>The outcome of probing one library: the handle when loaded, the path it came from, and every attempt.</summary>
internal sealed record CudaLibraryLoad(CudaLibrary Library, nint Handle, string? Path, IReadOnlyList<string> Attempts)
{
    public bool Loaded => Handle != 0;
}

/// <summary>Where to look: environment, folders and file existence, replaceable in tests.</summary>
internal sealed class CudaProbeEnvironment
{
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;
    public bool IsWindows { get; init; } = OperatingSystem.IsWindows();
    public string Home { get; init; } = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    /// <summary>Tries the loader's own search (no folder); off in tests that must not find a real library.</summary>
    public bool UseLoaderPath { get; init; } = true;
    /// <summary>Folders searched in addition to the computed ones (tests).</summary>
    public IReadOnlyList<string> ExtraFolders { get; init; } = Array.Empty<string>();
    /// <summary>When false, only <see cref="ExtraFolders"/> and overrides are searched.</summary>
    public bool UseStandardFolders { get; init; } = true;

    public static CudaProbeEnvironment Process { get; } = new();
}

/// <summary>
/// Finds the CUDA libraries: an override variable per library (TESSERA_LIBCUDA, TESSERA_LIBNVRTC, TESSERA_LIBCUBLASLT,
/// TESSERA_LIBCUDNN, TESSERA_LIBNCCL: a file path or a folder), then each versioned name through the loader's search path, then
/// CUDA_HOME / CUDA_PATH, /usr/local/cuda, and the nvidia/*/lib folders of installed Python wheels. Every attempt is
/// recorded with its outcome. The DllImport resolver of this assembly routes the bindings' logical names here.
/// </summary>
internal static class CudaLibraries
{
    public const string DriverName = "tessera-cuda-driver";
    public const string NvrtcName = "tessera-nvrtc";
    public const string CublasLtName = "tessera-cublaslt";
    public const string CudnnName = "tessera-cudnn";
    public const string NcclName = "tessera-nccl";

    private static readonly object Gate = new();
    private static readonly Dictionary<CudaLibrary, CudaLibraryLoad> Loaded = new();
    private static int _resolverInstalled;

    public static IReadOnlyList<CudaLibrarySpec> Specs { get; } = new[]
    {
        new CudaLibrarySpec(CudaLibrary.Driver, "libcuda (NVIDIA driver)", "TESSERA_LIBCUDA",
            new[] { "libcuda.so.1", "libcuda.so" }, new[] { "nvcuda.dll" }),
        new CudaLibrarySpec(CudaLibrary.Nvrtc, "NVRTC", "TESSERA_LIBNVRTC",
            // libnvrtc.so.11.2 is the soname of Debian's libnvrtc11.2 (NVRTC 11.8, which targets up to sm_90): CI compiles with it.
            new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" }, new[] { "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" }),
        new CudaLibrarySpec(CudaLibrary.CublasLt, "cuBLASLt", "TESSERA_LIBCUBLASLT",
            new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so" }, new[] { "cublasLt64_13.dll", "cublasLt64_12.dll" }),
        new CudaLibrarySpec(CudaLibrary.Cudnn, "cuDNN 9", "TESSERA_LIBCUDNN",
            new[] { "libcudnn.so.9", "libcudnn.so" }, new[] { "cudnn64_9.dll" }),
        // NCCL ships for Linux only (Debian has none; PyTorch's wheels bring nvidia/nccl/lib/libnccl.so.2).
        new CudaLibrarySpec(CudaLibrary.Nccl, "NCCL", "TESSERA_LIBNCCL",
            new[] { "libnccl.so.2", "libnccl.so" }, Array.Empty<string>()),
    };

    public static CudaLibrarySpec Spec(CudaLibrary library) => Specs[(int)library];

    /// <summary>Installs the resolver for this assembly (idempotent; done when the assembly loads).</summary>
    public static void InstallResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        CudaLibrary? library = name switch
        {
            DriverName => CudaLibrary.Driver,
            NvrtcName => CudaLibrary.Nvrtc,
            CublasLtName => CudaLibrary.CublasLt,
            CudnnName => CudaLibrary.Cudnn,
            NcclName => CudaLibrary.Nccl,
            _ => null,
        };
        if (library is null) return 0;
        var load = Get(library.Value);
        if (!load.Loaded)
            throw new DllNotFoundException($"{Spec(library.Value).Display} could not be loaded; tried: {string.Join("; ", load.Attempts)}");
        return load.Handle;
    }

    /// <summary>The process-wide probe result for a library (probed once, on first use).</summary>
    public static CudaLibraryLoad Get(CudaLibrary library)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue(library, out var load))
                Loaded[library] = load = Probe(Spec(library), CudaProbeEnvironment.Process);
            return load;
        }
    }

    /// <summary>Probes for a library in the given environment and records each attempt ("what: outcome").</summary>
    public static CudaLibraryLoad Probe(CudaLibrarySpec spec, CudaProbeEnvironment env)
    {
        var probe = new NativeLibraryProbe(spec.Display);
        var names = env.IsWindows ? spec.WindowsNames : spec.LinuxNames;
        CudaLibraryLoad Found(nint h, string path)
        {
            probe.Finish(path);
            return new(spec.Library, h, path, probe.Attempts);
        }

        string? overridePath = env.GetVariable(spec.OverrideVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            var candidates = Directory.Exists(overridePath) ? names.Select(n => Path.Combine(overridePath, n)) : new[] { overridePath };
            foreach (var c in candidates)
                if (TryLoadFile(c, $"{spec.OverrideVariable}={c}", probe, requested: true) is { } h) return Found(h, c);
        }

        if (env.UseLoaderPath)
        {
            foreach (var n in names)
            {
                if (NativeLibrary.TryLoad(n, out nint h)) { probe.Attempt($"{n} (loader search path)", NativeLibraryProbe.Loaded); return Found(h, n); }
                probe.Attempt($"{n} (loader search path)", "not found");
            }
        }

        foreach (var folder in Folders(env))
        {
            if (!Directory.Exists(folder)) { probe.Attempt(folder, "folder absent"); continue; }
            foreach (var n in names)
            {
                string path = Path.Combine(folder, n);
                if (!File.Exists(path)) { probe.Attempt(path, "no such file"); continue; }
                if (TryLoadFile(path, path, probe, requested: false) is { } h) return Found(h, path);
            }
        }
        probe.Finish(null);
        return new(spec.Library, 0, null, probe.Attempts);
    }

    private static nint? TryLoadFile(string path, string label, NativeLibraryProbe probe, bool requested)
    {
        if (!File.Exists(path)) { probe.Attempt(label, "no such file", requested); return null; }
        try
        {
            nint h = NativeLibrary.Load(path);
            probe.Attempt(label, NativeLibraryProbe.Loaded, requested);
            return h;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            probe.Attempt(label, $"failed to load ({e.Message.Split('\n')[0]})", requested);
            return null;
        }
    }

    /// <summary>The folders searched after the loader path, in order, without duplicates.</summary>
    public static IReadOnlyList<string> Folders(CudaProbeEnvironment env)
    {
        var list = new List<string>(env.ExtraFolders);
        if (env.UseStandardFolders)
        {
            foreach (var v in new[] { "CUDA_HOME", "CUDA_PATH" })
            {
                string? root = env.GetVariable(v);
                if (string.IsNullOrWhiteSpace(root)) continue;
                if (env.IsWindows) { list.Add(Path.Combine(root, "bin")); list.Add(Path.Combine(root, "bin", "x64")); }
                else { list.Add(Path.Combine(root, "lib64")); list.Add(Path.Combine(root, "lib")); }
            }
            if (!env.IsWindows)
            {
                list.Add("/usr/local/cuda/lib64");
                list.Add("/usr/lib/x86_64-linux-gnu");
                list.Add("/usr/lib/wsl/lib");
            }
            foreach (var sp in SitePackages(env))
                list.AddRange(WheelLibFolders(sp, env.IsWindows));
        }
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>site-packages / dist-packages folders of Python installations, found by globbing (no Python is run).</summary>
    public static IEnumerable<string> SitePackages(CudaProbeEnvironment env)
    {
        var roots = new List<string>();
        string? venv = env.GetVariable("VIRTUAL_ENV");
        string? conda = env.GetVariable("CONDA_PREFIX");
        if (env.IsWindows)
        {
            foreach (var prefix in new[] { venv, conda })
                if (!string.IsNullOrEmpty(prefix)) yield return Path.Combine(prefix, "Lib", "site-packages");
            string? local = env.GetVariable("LOCALAPPDATA");
            if (!string.IsNullOrEmpty(local))
                foreach (var d in SafeDirs(Path.Combine(local, "Programs", "Python"), "Python3*"))
                    yield return Path.Combine(d, "Lib", "site-packages");
            yield break;
        }
        foreach (var prefix in new[] { venv, conda })
            if (!string.IsNullOrEmpty(prefix)) roots.Add(Path.Combine(prefix, "lib"));
        // The environment of every python3 on PATH (an unactivated virtual environment such as /opt/torch/.venv
        // whose bin folder is on PATH): <prefix>/bin/python3 → <prefix>/lib/python3*/site-packages.
        foreach (var dir in (env.GetVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "python3")) && Path.GetDirectoryName(dir.TrimEnd('/')) is { Length: > 0 } prefix)
                roots.Add(Path.Combine(prefix, "lib"));
        roots.Add("/usr/lib");
        roots.Add("/usr/local/lib");
        if (!string.IsNullOrEmpty(env.Home)) roots.Add(Path.Combine(env.Home, ".local", "lib"));
        foreach (var root in roots)
            foreach (var py in SafeDirs(root, "python3*"))
                foreach (var kind in new[] { "site-packages", "dist-packages" })
                {
                    string sp = Path.Combine(py, kind);
                    if (Directory.Exists(sp)) yield return sp;
                }
    }

    /// <summary>nvidia/*/lib (Linux) or nvidia/*/bin (Windows) under a site-packages folder.</summary>
    public static IEnumerable<string> WheelLibFolders(string sitePackages, bool windows)
    {
        foreach (var pkg in SafeDirs(Path.Combine(sitePackages, "nvidia"), "*"))
        {
            string lib = Path.Combine(pkg, windows ? "bin" : "lib");
            if (Directory.Exists(lib)) yield return lib;
        }
    }

    private static string[] SafeDirs(string folder, string pattern)
    {
        try { return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern).OrderBy(d => d, StringComparer.Ordinal).ToArray() : Array.Empty<string>(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }
}
