using System.Runtime.InteropServices;
using System.Text;
using Tessera.Devices;
using Tessera.Diagnostics;

namespace Tessera.Distributed.Mpi;

/// <summary>Finds Open MPI's libmpi.so.40 (<c>TESSERA_LIBMPI</c>, a file, first) and the predefined handles it
/// exports. Probed once: <see cref="Status"/> is available, or unavailable with the reason and every location tried
/// (like the other native libraries). The library is loaded RTLD_GLOBAL because Open MPI's plugins, loaded later,
/// resolve libmpi's symbols.</summary>
public static class MpiLibrary
{
    /// <summary>The environment variable that names the library file to load first.</summary>
    public const string OverrideVariable = "TESSERA_LIBMPI";

    private static readonly Lazy<(BackendStatus Status, nint Handle)> Probed = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Dictionary<string, nint> Exports = new();

    static MpiLibrary() =>
        NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, (name, _, _) => name == MpiNative.Library ? Probed.Value.Handle : 0);

    /// <summary>Whether libmpi and its predefined handles were found, or why not.</summary>
    public static BackendStatus Status => Probed.Value.Status;

    /// <summary><c>MPI_COMM_WORLD</c>.</summary>
    internal static nint CommWorld => Export("ompi_mpi_comm_world");

    /// <summary><c>MPI_FLOAT</c>.</summary>
    internal static nint Float => Export("ompi_mpi_float");

    /// <summary><c>MPI_INT</c>.</summary>
    internal static nint Int => Export("ompi_mpi_int");

    /// <summary><c>MPI_SUM</c>.</summary>
    internal static nint Sum => Export("ompi_mpi_op_sum");

    /// <summary><c>MPI_ERRORS_RETURN</c>.</summary>
    internal static nint ErrorsReturn => Export("ompi_mpi_errors_return");

    private static readonly string[] RequiredExports = ["ompi_mpi_comm_world", "ompi_mpi_float", "ompi_mpi_int", "ompi_mpi_op_sum", "ompi_mpi_errors_return"];

    /// <summary>Throws <see cref="TesseraBackendException"/> with the probe's reason when MPI is unavailable.</summary>
    internal static void Require(string op)
    {
        if (!Status.Available) throw new TesseraBackendException(op, $"MPI is unavailable: {Status.Reason}");
    }

    private static nint Export(string name)
    {
        lock (Exports) return Exports[name];
    }

    private static (BackendStatus, nint) Probe()
    {
        var probe = new NativeLibraryProbe("Open MPI (libmpi)");
        var candidates = new List<string>();
        string? env = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(env)) candidates.Add(env);
        candidates.Add(MpiNative.Library);
        (BackendStatus, nint) Unavailable(string reason)
        {
            probe.Finish(null, reason);
            return (BackendStatus.Unavailable(reason, probe.Attempts), 0);
        }
        if (!OperatingSystem.IsLinux()) return Unavailable("Open MPI's libmpi.so.40 is a Linux library; this is not Linux");
        foreach (var c in candidates)
        {
            bool requested = c == env;
            nint h;
            try { h = MpiNative.DlOpen(c, MpiNative.RtldNow | MpiNative.RtldGlobal); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                probe.Attempt(c, $"dlopen unavailable ({e.Message})", requested);
                break;
            }
            if (h == 0) { probe.Attempt(c, "not found", requested); continue; }
            probe.Attempt(c, NativeLibraryProbe.Loaded, requested);
            var missing = RequiredExports.Where(n => !NativeLibrary.TryGetExport(h, n, out _)).ToArray();
            if (missing.Length > 0) return Unavailable($"{c} loaded but lacks {string.Join(", ", missing)} (not Open MPI?)");
            lock (Exports) foreach (var n in RequiredExports) Exports[n] = NativeLibrary.GetExport(h, n);
            probe.Finish(c);
            return (new BackendStatus(true, "", probe.Attempts), h);
        }
        return Unavailable($"Open MPI's {MpiNative.Library} was not found (install libopenmpi-dev / openmpi-bin, or set {OverrideVariable})");
    }

    /// <summary>The library's version string (MPI_Get_library_version), e.g. "Open MPI v4.1.4, ...".</summary>
    public static unsafe string Version()
    {
        Require("MpiLibrary.Version");
        var buf = stackalloc byte[512];
        int len = 0;
        if (MpiNative.MPI_Get_library_version(buf, &len) != 0) return "MPI";
        return Encoding.UTF8.GetString(buf, Math.Clamp(len, 0, 512)).Split(',')[0].Trim().TrimEnd('\0');
    }

    /// <summary>MPI's text for an error code.</summary>
    internal static unsafe string ErrorText(int code)
    {
        var buf = stackalloc byte[512];
        int len = 0;
        return MpiNative.MPI_Error_string(code, buf, &len) == 0 ? Encoding.UTF8.GetString(buf, Math.Clamp(len, 0, 512)) : $"MPI error {code}";
    }
}
