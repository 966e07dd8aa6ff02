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
    private static readonly NativeLibraryProbe Probe = new("the OpenCL ICD loader");
    private static nint _handle;
    private static bool _probed;

    public static IReadOnlyList<string> Attempts { get { lock (Gate) return Probe.Attempts.ToArray(); } }
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
            var candidates = new List<string>();
            string? env = Environment.GetEnvironmentVariable(OverrideVariable);
            if (!string.IsNullOrWhiteSpace(env)) candidates.Add(env);
            candidates.AddRange(LoaderNames);
            foreach (var c in candidates)
            {
                bool requested = c == env;
                if (NativeLibrary.TryLoad(c, Assembly.GetExecutingAssembly(), DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var h))
                {
                    Probe.Attempt(c, NativeLibraryProbe.Loaded, requested);
                    Probe.Finish(c);
                    _handle = h;
                    Path = c;
                    return h;
                }
                Probe.Attempt(c, "not found", requested);
            }
            Probe.Finish(null);
            return 0;
        }
    }
}
