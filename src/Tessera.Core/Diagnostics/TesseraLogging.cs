using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tessera.Diagnostics;

/// <summary>The one place an application hands Tessera its logging: set <see cref="LoggerFactory"/> (from the host's
/// dependency injection, or <c>LoggerFactory.Create(b =&gt; b.AddConsole())</c>) before the first device is asked for.
/// Tessera logs backend discovery, native library probing (each location tried at Debug, the outcome at Information, a
/// library named by an override variable that fails to load at Warning), memory-pool trims and compile-cache hits and
/// misses, under categories named after the component ("Tessera.Devices.BackendRegistry", "Tessera.OpenCL", ...).
/// The default is <see cref="NullLoggerFactory"/>: nothing is logged and nothing is formatted.</summary>
public static class TesseraLogging
{
    private static ILoggerFactory _factory = NullLoggerFactory.Instance;

    /// <summary>The factory Tessera's loggers come from; setting it affects loggers created afterwards (components create
    /// theirs on first use, so set it at start-up). Null restores <see cref="NullLoggerFactory"/>.</summary>
    public static ILoggerFactory LoggerFactory
    {
        get => Volatile.Read(ref _factory);
        set => Volatile.Write(ref _factory, value ?? NullLoggerFactory.Instance);
    }

    /// <summary>A logger of <paramref name="category"/> from the current <see cref="LoggerFactory"/>.</summary>
    public static ILogger CreateLogger(string category) => LoggerFactory.CreateLogger(category);
}
