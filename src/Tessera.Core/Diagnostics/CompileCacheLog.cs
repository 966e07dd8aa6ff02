using Microsoft.Extensions.Logging;

namespace Tessera.Diagnostics;

/// <summary>Logs the on-disk kernel caches of the GPU backends (NVRTC's PTX, OpenCL's program binaries) through
/// <see cref="TesseraLogging"/>, category "Tessera.CompileCache": a hit at Debug, a miss (compiled from source, and why)
/// at Information, since a miss costs a compile that can take seconds.</summary>
public static partial class CompileCacheLog
{
    private static ILogger Log => TesseraLogging.CreateLogger("Tessera.CompileCache");

    /// <summary>A cached build of <paramref name="program"/> by <paramref name="compiler"/> was used from <paramref name="path"/>.</summary>
    public static void Hit(string compiler, string program, string path) => LogHit(Log, compiler, program, path);

    /// <summary><paramref name="program"/> was compiled from source by <paramref name="compiler"/>: <paramref name="reason"/>
    /// ("not cached", "cache disabled", "the cached binary was rejected").</summary>
    public static void Miss(string compiler, string program, string reason) => LogMiss(Log, compiler, program, reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Compiler}: '{Program}' from the cache ({Path})")]
    private static partial void LogHit(ILogger logger, string compiler, string program, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Compiler}: compiling '{Program}' from source ({Reason})")]
    private static partial void LogMiss(ILogger logger, string compiler, string program, string reason);
}
