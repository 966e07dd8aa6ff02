using System.Reflection;
using System.Runtime.InteropServices;
using Tessera.Diagnostics;

namespace Tessera.OpenCL.Interop;

/// <summary>Finds the OpenCL ICD loader: <c>TESSERA_LIBOPENCL</c> (a file) first, then libOpenCL.so.1 / libOpenCL.so /
/// OpenCL.dll through the loader. Every attempt is recorded for the backend's "unavailable" reason and logged
/// (<see cref="NativeLibraryProbe"/>).</summary>
internal static class ClLibrary
{
    public const string OverrideVariable = "TESSERA_LIBOPENCL";
    private static readonly string[] LoaderNames = OperatingSystem.IsWindows() ? ["OpenCL.dll"] : ["libOpenCL.so.1", "libOpenCL.so"];
    private static readonly object Gate = new();
    private static NativeLibraryProbe? _probe; // created by the probe itself, so it logs to the factory set by then
    private static nint _handle;
    private static bool _probed;

    public static IReadOnlyList<string> Attempts { get { lock (Gate) return _probe?.Attempts.ToArray() ?? []; } }
    public static string? Path { get; private set; }

    public static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(ClLibrary).Assembly, (name, _, _) => name == Cl.Library ? Load() : 0);

    /// <summary>The loaded library handle, or 0 when none could be loaded.</summary>
    public static nint Load()
    {
        lock (Gate)
        {
            if (_probed) return _handle;
            _probed = true;
            var probe = _probe = new NativeLibraryProbe("the OpenCL ICD loader");
            var candidates = new List<string>();
            string? env = Environment.GetEnvironmentVariable(OverrideVariable);
            if (!string.IsNullOrWhiteSpace(env)) candidates.Add(env);
            candidates.AddRange(LoaderNames);
            foreach (var c in candidates)
            {
                bool requested = c == env;
                if (NativeLibrary.TryLoad(c, Assembly.GetExecutingAssembly(), DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var h))
                {
                    probe.Attempt(c, NativeLibraryProbe.Loaded, requested);
                    probe.Finish(c);
                    _handle = h;
                    Path = c;
                    return h;
                }
                probe.Attempt(c, "not found", requested);
            }
            probe.Finish(null);
            return 0;
        }
    }
}
