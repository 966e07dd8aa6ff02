using Microsoft.Extensions.Logging;

namespace Tessera.Diagnostics;

/// <summary>The record of one search for a native library (CUDA's, OpenCL's ICD loader, Open MPI, OpenBLAS): every
/// location tried with its outcome, kept for the backend's "unavailable" reason and logged as it happens through
/// <see cref="TesseraLogging"/> (category "Tessera.NativeLibraries"): each attempt at Debug, one tried because an
/// override variable named it and failing at Warning, the outcome at Information.</summary>
public sealed partial class NativeLibraryProbe
{
    private readonly List<string> _attempts = new();
    private readonly ILogger _log = TesseraLogging.CreateLogger("Tessera.NativeLibraries");

    /// <param name="library">What is looked for, as the messages name it ("NVRTC", "the OpenCL ICD loader").</param>
    public NativeLibraryProbe(string library)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(library);
        Library = library;
    }

    /// <summary>What is looked for.</summary>
    public string Library { get; }

    /// <summary>Each attempt so far, as "where: outcome".</summary>
    public IReadOnlyList<string> Attempts => _attempts;

    /// <summary>Records that <paramref name="where"/> (a name for the loader, a path, "VARIABLE=path") gave
    /// <paramref name="outcome"/> ("loaded", "not found", "no such file", ...); <paramref name="requested"/> marks a
    /// location the user named (an override variable), whose failure is a warning.</summary>
    public void Attempt(string where, string outcome, bool requested = false)
    {
        _attempts.Add($"{where}: {outcome}");
        if (requested && outcome != Loaded) LogRequestedFailed(_log, Library, where, outcome);
        else LogAttempt(_log, Library, where, outcome);
    }

    /// <summary>The outcome recorded for a location that loaded.</summary>
    public const string Loaded = "loaded";

    /// <summary>Logs the search's end: <paramref name="path"/> is where the library was loaded from, or null when it was
    /// not found (<paramref name="reason"/> says why, when there is more to say than the attempts).</summary>
    public void Finish(string? path, string? reason = null)
    {
        if (path is not null) LogFound(_log, Library, path, _attempts.Count);
        else if (_log.IsEnabled(LogLevel.Information))
        {
            string tried = string.Join("; ", _attempts);
            LogNotFound(_log, Library, reason ?? "not found", tried);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Library}: tried {Where}: {Outcome}")]
    private static partial void LogAttempt(ILogger logger, string library, string where, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Library}: {Where}, named by an override variable, did not load: {Outcome}")]
    private static partial void LogRequestedFailed(ILogger logger, string library, string where, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Library} loaded from {Path} (attempt {Attempts})")]
    private static partial void LogFound(ILogger logger, string library, string path, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Library} is unavailable: {Reason}; tried: {Attempts}")]
    private static partial void LogNotFound(ILogger logger, string library, string reason, string attempts);
}
