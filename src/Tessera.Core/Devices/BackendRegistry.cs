using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Tessera.Diagnostics;

namespace Tessera.Devices;

/// <summary>The backends known to this process. Backends register themselves when their assembly loads; a device asked
/// for by id ("cpu", "cuda:0", "opencl:1") loads its backend's assembly (Tessera.Cpu, Tessera.Cuda, Tessera.OpenCL)
/// when it is deployed beside the application and not loaded yet. Discovery is logged through <see cref="TesseraLogging"/>
/// (category "Tessera.Devices.BackendRegistry"): registrations and assembly loads at Debug, a backend not deployed or
/// unavailable and a fallback at Information.</summary>
public static partial class BackendRegistry
{
    /// <summary>The logger, taken from the current factory at each use (discovery is rare; the factory caches loggers).</summary>
    private static ILogger Log => TesseraLogging.CreateLogger("Tessera.Devices.BackendRegistry");

    private const string Op = "BackendRegistry.GetDevice";
    private static readonly object Gate = new();
    private static readonly List<IBackend> Backends = new();

    /// <summary>Adds a backend (once per kind; a later registration of the same kind replaces the earlier).</summary>
    public static void Register(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (Gate)
        {
            Backends.RemoveAll(b => b.Kind == backend.Kind);
            Backends.Add(backend);
        }
        LogRegistered(Log, backend.Kind, backend.GetType().FullName);
    }

    /// <summary>The backends registered so far (those whose assembly has loaded).</summary>
    public static IReadOnlyList<IBackend> All
    {
        get { lock (Gate) return Backends.ToArray(); }
    }

    /// <summary>The registered backend of this kind, or null; loads nothing.</summary>
    public static IBackend? Find(DeviceKind kind)
    {
        lock (Gate) return Backends.FirstOrDefault(b => b.Kind == kind);
    }

    /// <summary>The backend of this kind, loading its assembly by name when it is deployed and not loaded yet; null with
    /// the reason when it cannot be had.</summary>
    public static IBackend? Load(DeviceKind kind, out string? reason)
    {
        reason = null;
        if (Find(kind) is { } found) return found;
        string name = AssemblyOf(kind);
        LogLoading(Log, kind, name);
        try
        {
            var assembly = Assembly.Load(new AssemblyName(name));
            // Loading does not run a module initializer; this does (once: a later call is a no-op).
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or PlatformNotSupportedException)
        {
            reason = $"no {kind} backend: the assembly {name} is not deployed with the application (add the {name} package): {e.Message.Split('\n')[0]}";
            LogNotLoaded(Log, kind, reason);
            return null;
        }
        var backend = Find(kind);
        if (backend is null)
        {
            reason = $"no {kind} backend: the assembly {name} loaded but registered no {kind} backend";
            LogNotLoaded(Log, kind, reason);
        }
        return backend;
    }

    /// <summary>Resolves "cpu", "cuda", "cuda:1", "opencl:0" to a device, loading the backend's assembly by name when
    /// needed; a <see cref="TesseraDeviceException"/> says why when the device cannot be had.</summary>
    public static IDevice GetDevice(string id) =>
        TryGetDevice(id, out var device, out var reason) ? device : throw new TesseraDeviceException(Op, nameof(id), reason);

    /// <summary>The device <paramref name="id"/> names, or <paramref name="fallback"/> when it cannot be had here (its
    /// backend not deployed or unavailable, no such ordinal). A malformed id still throws.</summary>
    public static IDevice GetDevice(string id, IDevice fallback) => GetDevice(id, fallback, out _);

    /// <summary>The device <paramref name="id"/> names, or <paramref name="fallback"/> with the reason in
    /// <paramref name="fallbackReason"/> (null when the named device was returned). A malformed id still throws.</summary>
    public static IDevice GetDevice(string id, IDevice fallback, out string? fallbackReason)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (TryGetDevice(id, out var device, out var reason)) { fallbackReason = null; return device; }
        fallbackReason = reason;
        LogFallback(Log, id, fallback.Name, reason);
        return fallback;
    }

    /// <summary>Like <see cref="GetDevice(string)"/> without throwing when the device cannot be had: false with the
    /// reason. A malformed id (unknown kind, bad ordinal) throws a <see cref="TesseraArgumentException"/>.</summary>
    public static bool TryGetDevice(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IDevice? device,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        var (kind, ordinal) = Parse(id);
        device = null;
        var backend = Load(kind, out var loadReason);
        if (backend is null) { reason = loadReason ?? $"no {kind} backend"; return false; }
        var status = backend.Status;
        if (!status.Available)
        {
            reason = $"{kind} backend unavailable: {status.Reason}";
            LogUnavailable(Log, kind, status.Reason);
            return false;
        }
        if (ordinal >= backend.DeviceCount)
        {
            reason = $"{kind} device {ordinal} does not exist ({backend.DeviceCount} present)";
            return false;
        }
        device = backend.GetDevice(ordinal);
        reason = null;
        return true;
    }

    private static (DeviceKind Kind, int Ordinal) Parse(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new TesseraArgumentException(Op, nameof(id), "empty device id");
        var parts = id.Trim().ToLowerInvariant().Split(':');
        DeviceKind kind = parts[0] switch
        {
            "cpu" => DeviceKind.Cpu,
            "cuda" or "gpu" => DeviceKind.Cuda,
            "opencl" or "cl" => DeviceKind.OpenCL,
            _ => throw new TesseraArgumentException(Op, nameof(id), $"unknown device kind '{parts[0]}' (expected cpu, cuda, opencl)"),
        };
        int ordinal = 0;
        if (parts.Length > 2 || (parts.Length > 1 && (!int.TryParse(parts[1], out ordinal) || ordinal < 0)))
            throw new TesseraArgumentException(Op, nameof(id), $"bad device ordinal in '{id}'");
        return (kind, ordinal);
    }

    private static string AssemblyOf(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "Tessera.Cpu",
        DeviceKind.Cuda => "Tessera.Cuda",
        DeviceKind.OpenCL => "Tessera.OpenCL",
        _ => throw new TesseraArgumentException(Op, nameof(kind), $"no backend assembly is known for {kind}"),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registered the {Kind} backend ({Type})")]
    private static partial void LogRegistered(ILogger logger, DeviceKind kind, string? type);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Loading the {Kind} backend's assembly {Assembly}")]
    private static partial void LogLoading(ILogger logger, DeviceKind kind, string assembly);

    [LoggerMessage(Level = LogLevel.Information, Message = "No {Kind} backend: {Reason}")]
    private static partial void LogNotLoaded(ILogger logger, DeviceKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} backend is unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, DeviceKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device '{Id}' cannot be had, falling back to {Fallback}: {Reason}")]
    private static partial void LogFallback(ILogger logger, string id, string fallback, string reason);
}
