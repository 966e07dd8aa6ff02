using Microsoft.Extensions.Logging;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Diagnostics;
using Tessera.Tests.Support;

namespace Tessera.Tests.Core;

/// <summary>Tessera's diagnostics reach the application's ILogger through <see cref="TesseraLogging.LoggerFactory"/>:
/// native library probing logs each attempt and the outcome, a device fallback its reason, compile caches their misses.
/// The factory is process-wide, so these tests run in one collection that no other test shares.</summary>
[Collection(nameof(DiagnosticsLoggingTests))]
[CollectionDefinition(nameof(DiagnosticsLoggingTests), DisableParallelization = true)]
public class DiagnosticsLoggingTests
{
    /// <summary>Records every entry of every logger it creates.</summary>
    private sealed class CapturingFactory : ILoggerFactory
    {
        public readonly List<(string Category, LogLevel Level, string Message)> Entries = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }

        private sealed class Logger(CapturingFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Entries) owner.Entries.Add((category, logLevel, formatter(state, exception)));
            }
        }
    }

    private static List<(string Category, LogLevel Level, string Message)> Capture(Action action)
    {
        var factory = new CapturingFactory();
        var before = TesseraLogging.LoggerFactory;
        TesseraLogging.LoggerFactory = factory;
        try { action(); }
        finally { TesseraLogging.LoggerFactory = before; }
        lock (factory.Entries) return factory.Entries.ToList();
    }

    [Fact]
    public void Probing_a_missing_library_logs_each_attempt_and_the_outcome()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"tessera-no-such-folder-{Guid.NewGuid():N}");
        string overrideFile = Path.Combine(missing, "libcudnn.so.9");
        var env = new CudaProbeEnvironment
        {
            GetVariable = name => name == "TESSERA_LIBCUDNN" ? overrideFile : null,
            UseLoaderPath = false,
            UseStandardFolders = false,
            ExtraFolders = [missing],
        };
        CudaLibraryLoad? load = null;
        var log = Capture(() => load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Cudnn), env));

        Assert.False(load!.Loaded);
        var probing = log.Where(e => e.Category == "Tessera.NativeLibraries").ToList();
        // The override named by TESSERA_LIBCUDNN failed: a warning naming it.
        Assert.Contains(probing, e => e.Level == LogLevel.Warning && e.Message.Contains($"TESSERA_LIBCUDNN={overrideFile}", StringComparison.Ordinal)
            && e.Message.Contains("no such file", StringComparison.Ordinal));
        // The extra folder was tried: an attempt at Debug.
        Assert.Contains(probing, e => e.Level == LogLevel.Debug && e.Message.Contains($"tried {missing}: folder absent", StringComparison.Ordinal));
        // The outcome, with every attempt the load result records.
        var outcome = Assert.Single(probing, e => e.Level == LogLevel.Information);
        Assert.Contains("cuDNN 9 is unavailable", outcome.Message, StringComparison.Ordinal);
        foreach (var attempt in load.Attempts) Assert.Contains(attempt, outcome.Message, StringComparison.Ordinal);
        Assert.Equal(load.Attempts.Count + 1, probing.Count);
    }

    [Fact]
    public void A_device_fallback_logs_its_reason()
    {
        string? reason = null;
        var log = Capture(() => BackendRegistry.GetDevice("cuda:99", TestDevices.Cpu, out reason));
        Assert.NotNull(reason);
        Assert.Contains(log, e => e.Category == "Tessera.Devices.BackendRegistry" && e.Level == LogLevel.Information
            && e.Message.Contains("'cuda:99'", StringComparison.Ordinal) && e.Message.Contains(reason!, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_factory_nothing_is_logged_and_probing_still_records_attempts()
    {
        Assert.Same(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TesseraLogging.LoggerFactory);
        var probe = new NativeLibraryProbe("a library");
        probe.Attempt("libnothing.so", "not found");
        probe.Finish(null);
        Assert.Equal(["libnothing.so: not found"], probe.Attempts);
    }
}
