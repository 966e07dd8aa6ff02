namespace Tessera.Devices;

/// <summary>The backends known to this process. Backends register themselves; callers find devices by id ("cpu", "cuda:0").</summary>
public static class BackendRegistry
{
    private static readonly object Gate = new();
    private static readonly List<IBackend> Backends = new();

    /// <summary>Adds a backend (once per kind; a later registration of the same kind replaces the earlier).</summary>
    public static void Register(IBackend backend)
    {
        lock (Gate)
        {
            Backends.RemoveAll(b => b.Kind == backend.Kind);
            Backends.Add(backend);
        }
    }

    public static IReadOnlyList<IBackend> All
    {
        get { lock (Gate) return Backends.ToArray(); }
    }

    public static IBackend? Find(DeviceKind kind)
    {
        lock (Gate) return Backends.FirstOrDefault(b => b.Kind == kind);
    }

    /// <summary>Resolves "cpu", "cuda", "cuda:1", "opencl:0" to a device, with a clear error when unavailable.</summary>
    public static IDevice GetDevice(string id)
    {
        const string op = "BackendRegistry.GetDevice";
        if (string.IsNullOrWhiteSpace(id)) throw new TesseraArgumentException(op, nameof(id), "empty device id");
        var parts = id.Trim().ToLowerInvariant().Split(':');
        DeviceKind kind = parts[0] switch
        {
            "cpu" => DeviceKind.Cpu,
            "cuda" or "gpu" => DeviceKind.Cuda,
            "opencl" or "cl" => DeviceKind.OpenCL,
            _ => throw new TesseraArgumentException(op, nameof(id), $"unknown device kind '{parts[0]}' (expected cpu, cuda, opencl)"),
        };
        int ordinal = 0;
        if (parts.Length > 1 && (!int.TryParse(parts[1], out ordinal) || ordinal < 0))
            throw new TesseraArgumentException(op, nameof(id), $"bad device ordinal in '{id}'");
        var backend = Find(kind) ?? throw new TesseraDeviceException(op, nameof(id), $"no {kind} backend is registered in this process");
        var status = backend.Status;
        if (!status.Available) throw new TesseraDeviceException(op, nameof(id), $"{kind} backend unavailable: {status.Reason}");
        if (ordinal >= backend.DeviceCount)
            throw new TesseraDeviceException(op, nameof(id), $"{kind} device {ordinal} does not exist ({backend.DeviceCount} present)");
        return backend.GetDevice(ordinal);
    }
}
