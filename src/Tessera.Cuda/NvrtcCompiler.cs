using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Tessera.Cuda.Interop;
using Tessera.Diagnostics;
using Tessera.Gpu;

namespace Tessera.Cuda;

/// <summary>PTX compiled by NVRTC for one program and option set.</summary>
/// <param name="Family">The kernel family (or the program name given to <see cref="NvrtcCompiler.Compile"/>).</param>
/// <param name="Ptx">The PTX text, NUL-terminated (what cuModuleLoadData takes).</param>
/// <param name="Key">The cache key: <see cref="GpuSources.Hash"/> of program, options and toolchain.</param>
/// <param name="Options">The NVRTC options the PTX was compiled with.</param>
/// <param name="CachePath">The cache file, or null when caching is off.</param>
/// <param name="FromCache">True when the PTX was read from the disk cache instead of compiled.</param>
internal sealed record PtxImage(string Family, byte[] Ptx, string Key, IReadOnlyList<string> Options, string? CachePath, bool FromCache)
{
    /// <summary>The PTX as text (without the terminating NUL).</summary>
    public string Text => Encoding.ASCII.GetString(Ptx, 0, Ptx.Length > 0 && Ptx[^1] == 0 ? Ptx.Length - 1 : Ptx.Length);
}

/// <summary>
/// Compiles the portable kernel programs (<see cref="GpuSources.Program"/> in the CUDA dialect) to PTX with NVRTC. Needs
/// only libnvrtc (no driver, no GPU), so CI compiles every family. Options: <c>--gpu-architecture=compute_XY</c>,
/// <c>--std=c++17</c>, <c>-lineinfo</c>, <c>-default-device</c>. Results are cached on disk under <c>$TESSERA_CACHE_DIR/cuda</c> (default
/// <c>~/.cache/tessera/cuda</c>), one file per key = SHA-256 of (toolchain "nvrtc M.m driver V", options, program text).
/// Files are written atomically (temp file + rename) and carry a header with the key, the length and the SHA-256 of the
/// PTX; an entry that is unreadable or does not verify is recompiled and rewritten, never trusted.
/// </summary>
internal static unsafe class NvrtcCompiler
{
    /// <summary>Variable naming the root of Tessera's on-disk caches (the CUDA PTX cache is its "cuda" folder).</summary>
    public const string CacheDirVariable = "TESSERA_CACHE_DIR";

    private const string Magic = "TESSERA-PTX 1";
    private static readonly Lock VersionGate = new();
    private static string? _toolchain;
    private static int[]? _archs;

    /// <summary>The default cache folder: $TESSERA_CACHE_DIR/cuda, else ~/.cache/tessera/cuda.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable(CacheDirVariable);
            if (!string.IsNullOrWhiteSpace(root)) return Path.Combine(root, "cuda");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "tessera", "cuda");
        }
    }

    /// <summary>True when libnvrtc loads here.</summary>
    public static bool IsAvailable => CudaLibraries.Get(CudaLibrary.Nvrtc).Loaded;

    /// <summary>NVRTC's version (major, minor).</summary>
    public static (int Major, int Minor) Version
    {
        get
        {
            RequireNvrtc("NvrtcCompiler.Version");
            int major = 0, minor = 0;
            Nvrtc.nvrtcVersion(&major, &minor).Check();
            return (major, minor);
        }
    }

    /// <summary>The toolchain part of the cache key: "nvrtc M.m driver V" (V = cuDriverGetVersion, or "none" without libcuda).</summary>
    public static string Toolchain
    {
        get
        {
            lock (VersionGate)
            {
                if (_toolchain != null) return _toolchain;
                var (major, minor) = Version;
                string driver = "none";
                if (CudaLibraries.Get(CudaLibrary.Driver).Loaded)
                {
                    try
                    {
                        int v = 0;
                        if (CuDriver.cuDriverGetVersion(&v) == CUresult.CUDA_SUCCESS) driver = v.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                    catch (EntryPointNotFoundException) { }
                }
                return _toolchain = $"nvrtc {major}.{minor} driver {driver}";
            }
        }
    }

    /// <summary>The virtual architectures this NVRTC targets (e.g. 35 … 90 for NVRTC 11.8), ascending.</summary>
    public static IReadOnlyList<int> SupportedArchitectures
    {
        get
        {
            lock (VersionGate)
            {
                if (_archs != null) return _archs;
                RequireNvrtc("NvrtcCompiler.SupportedArchitectures");
                int n = 0;
                Nvrtc.nvrtcGetNumSupportedArchs(&n).Check();
                var list = new int[n];
                fixed (int* p = list) Nvrtc.nvrtcGetSupportedArchs(p).Check();
                Array.Sort(list);
                return _archs = list;
            }
        }
    }

    /// <summary>The architecture to compile for on a device of compute capability major.minor: that one when NVRTC
    /// knows it, else the newest NVRTC knows below it (PTX is forward compatible: the driver JIT-compiles it).</summary>
    public static int TargetArchitecture(int major, int minor)
    {
        int want = major * 10 + minor;
        var archs = SupportedArchitectures;
        if (archs.Count == 0 || archs.Contains(want)) return want;
        int best = -1;
        foreach (int a in archs) if (a <= want) best = a;
        if (best < 0)
            throw new TesseraBackendException("NvrtcCompiler", $"NVRTC {Version.Major}.{Version.Minor} cannot target compute capability {major}.{minor} " +
                $"(it supports {string.Join(", ", archs)})");
        return best;
    }

    /// <summary>The options a family is compiled with for an architecture (e.g. 90 for compute_90).</summary>
    /// <remarks><c>-default-device</c> matches the kernel compile check (/work/briefs/kcheck.py) so that a helper a family
    /// forgot to mark DEVICE_FN compiles here exactly as it did there.</remarks>
    public static IReadOnlyList<string> Options(int architecture) =>
        new[] { $"--gpu-architecture=compute_{architecture}", "--std=c++17", "-lineinfo", "-default-device" };

    /// <summary>Compiles kernel family <paramref name="family"/> for compute capability major.minor (cached on disk).</summary>
    /// <param name="cacheDirectory">Cache folder; null for <see cref="DefaultCacheDirectory"/>, "" to disable caching.</param>
    public static PtxImage CompileFamily(string family, int major, int minor, string? cacheDirectory = null) =>
        Compile(family, GpuSources.Program(GpuDialect.Cuda, family), Options(TargetArchitecture(major, minor)), cacheDirectory);

    /// <summary>Compiles CUDA C++ <paramref name="program"/> to PTX with <paramref name="options"/>, through the disk cache.</summary>
    /// <param name="name">The program's name (used in compiler messages as name.cu).</param>
    /// <param name="cacheDirectory">Cache folder; null for <see cref="DefaultCacheDirectory"/>, "" to disable caching.</param>
    public static PtxImage Compile(string name, string program, IReadOnlyList<string> options, string? cacheDirectory = null)
    {
        const string op = "NvrtcCompiler.Compile";
        RequireNvrtc(op);
        string key = GpuSources.Hash(program, string.Join(" ", options), Toolchain);
        string? dir = cacheDirectory ?? DefaultCacheDirectory;
        string? path = string.IsNullOrEmpty(dir) ? null : Path.Combine(dir, $"{SafeName(name)}-{key}.ptx");
        if (path != null && TryReadCache(path, key) is { } cached)
        {
            CompileCacheLog.Hit("NVRTC", name, path);
            return new PtxImage(name, cached, key, options, path, FromCache: true);
        }
        CompileCacheLog.Miss("NVRTC", name, path is null ? "cache disabled" : $"not in the cache ({path})");

        byte[] ptx = CompileUncached(name, program, options);
        if (path != null) TryWriteCache(path, key, ptx);
        return new PtxImage(name, ptx, key, options, path, FromCache: false);
    }

    private static void RequireNvrtc(string op)
    {
        if (!IsAvailable)
            throw new TesseraBackendException(op, $"{CudaLibraries.Spec(CudaLibrary.Nvrtc).Display} is not loadable, so CUDA kernels cannot be compiled; " +
                $"set {CudaLibraries.Spec(CudaLibrary.Nvrtc).OverrideVariable} or install NVRTC (tried: {string.Join("; ", CudaLibraries.Get(CudaLibrary.Nvrtc).Attempts)})");
    }

    private static string SafeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        return sb.ToString();
    }

    /// <summary>Runs NVRTC; a failed compile throws with the program log.</summary>
    private static byte[] CompileUncached(string name, string program, IReadOnlyList<string> options)
    {
        const string op = "NvrtcCompiler.Compile";
        byte[] src = NulTerminated(program);
        byte[] fileName = NulTerminated(name + ".cu");
        var opts = options.Select(NulTerminated).ToArray();
        var handles = new GCHandle[opts.Length];
        var ptrs = new byte*[opts.Length];
        NvrtcProgram prog = default;
        try
        {
            for (int i = 0; i < opts.Length; i++)
            {
                handles[i] = GCHandle.Alloc(opts[i], GCHandleType.Pinned);
                ptrs[i] = (byte*)handles[i].AddrOfPinnedObject();
            }
            fixed (byte* s = src)
            fixed (byte* n = fileName)
                Nvrtc.nvrtcCreateProgram(&prog, s, n, 0, null, null).Check($"nvrtcCreateProgram({name}.cu)");
            nvrtcResult r;
            fixed (byte** o = ptrs) r = Nvrtc.nvrtcCompileProgram(prog, opts.Length, o);
            if (r != nvrtcResult.NVRTC_SUCCESS)
            {
                string log = ProgramLog(prog);
                throw new TesseraBackendException(op,
                    $"NVRTC could not compile {name}.cu ({CudaCheck.StatusName(r)}) with options [{string.Join(" ", options)}]:\n{log}");
            }
            nuint size = 0;
            Nvrtc.nvrtcGetPTXSize(prog, &size).Check();
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx) Nvrtc.nvrtcGetPTX(prog, p).Check();
            if (ptx.Length == 0 || ptx[^1] != 0) Array.Resize(ref ptx, ptx.Length + 1);  // always NUL-terminated
            return ptx;
        }
        finally
        {
            if (!prog.IsNull) Nvrtc.nvrtcDestroyProgram(&prog);
            foreach (var h in handles) if (h.IsAllocated) h.Free();
        }
    }

    private static string ProgramLog(NvrtcProgram prog)
    {
        nuint size = 0;
        if (Nvrtc.nvrtcGetProgramLogSize(prog, &size) != nvrtcResult.NVRTC_SUCCESS || size <= 1) return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* p = log)
        {
            if (Nvrtc.nvrtcGetProgramLog(prog, p) != nvrtcResult.NVRTC_SUCCESS) return "(log unreadable)";
            return Marshal.PtrToStringUTF8((nint)p) ?? "(no log)";
        }
    }

    private static byte[] NulTerminated(string s)
    {
        var b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    // Cache file: "TESSERA-PTX 1\n<key>\n<ptx length>\n<sha256 hex of the ptx bytes>\n" followed by the PTX bytes.

    private static byte[]? TryReadCache(string path, string key)
    {
        try
        {
            if (!File.Exists(path)) return null;
            byte[] all = File.ReadAllBytes(path);
            int pos = 0;
            string? Line()
            {
                int nl = Array.IndexOf(all, (byte)'\n', pos);
                if (nl < 0 || nl - pos > 200) return null;
                string l = Encoding.ASCII.GetString(all, pos, nl - pos);
                pos = nl + 1;
                return l;
            }
            if (Line() != Magic || Line() != key) return null;
            if (!int.TryParse(Line(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length)) return null;
            string? hash = Line();
            if (hash == null || all.Length - pos != length || length == 0) return null;
            var ptx = all.AsSpan(pos, length).ToArray();
            if (Convert.ToHexStringLower(SHA256.HashData(ptx)) != hash || ptx[^1] != 0) return null;
            return ptx;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Writes the entry atomically; a cache that cannot be written is not an error (the PTX is still used).</summary>
    private static void TryWriteCache(string path, string key, byte[] ptx)
    {
        string? tmp = null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(Encoding.ASCII.GetBytes($"{Magic}\n{key}\n{ptx.Length}\n{Convert.ToHexStringLower(SHA256.HashData(ptx))}\n"));
                f.Write(ptx);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
            tmp = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        finally
        {
            if (tmp != null) try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
