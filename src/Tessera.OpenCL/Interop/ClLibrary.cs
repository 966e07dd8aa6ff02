using System.Reflection;
using System.Runtime.InteropServices;

namespace Tessera.OpenCL.Interop;

/// <summary>Finds the OpenCL ICD loader: <c>TESSERA_LIBOPENCL</c> (a file) first, then libOpenCL.so.1 / libOpenCL.so /
/// OpenCL.dll through the loader. Every attempt is recorded for the backend's "unavailable" reason.</summary>
internal static class ClLibrary
{
    public const string OverrideVariable = "TESSERA_LIBOPENCL";
    private static readonly string[] LoaderNames = OperatingSystem.IsWindows() ? ["OpenCL.dll"] : ["libOpenCL.so.1", "libOpenCL.so"];
    private static readonly object Gate = new();
    private static readonly List<string> AttemptLog = new();
    private static nint _handle;
    private static bool _probed;

    public static IReadOnlyList<string> Attempts { get { lock (Gate) return AttemptLog.ToArray(); } }
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
                if (NativeLibrary.TryLoad(c, Assembly.GetExecutingAssembly(), DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var h))
                {
                    AttemptLog.Add($"{c}: loaded");
                    _handle = h;
                    Path = c;
                    return h;
                }
                AttemptLog.Add($"{c}: not found");
            }
            return 0;
        }
    }
}
