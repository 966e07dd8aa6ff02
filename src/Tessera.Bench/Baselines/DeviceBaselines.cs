using Tessera.Devices;

namespace Tessera.Bench.Baselines;

/// <summary>Versions of what a non-CPU device runs on — its backend's facts (driver, device, vendor libraries, as
/// <c>tessera devices</c> lists them) and the device baselines' libraries — for the report header.</summary>
public static class DeviceBaselines
{
    /// <summary>Name → version pairs for <paramref name="device"/> (none for the CPU, whose libraries are always listed).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Versions(IDevice device)
    {
        if (device.Kind == DeviceKind.Cpu) yield break;
        string prefix = device.Kind.ToString().ToLowerInvariant();
        if (BackendRegistry.Find(device.Kind) is { } backend)
            foreach (var (key, value) in backend.Describe())
                yield return new(key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? key : $"{prefix} {key}", value);
        if (device.Kind == DeviceKind.OpenCL) yield return new("clblast", ClBlast.Version ?? $"missing: {ClBlast.Unavailable}");
        if (device.Kind == DeviceKind.Cuda) yield return new("pytorch", TorchBaseline.Version ?? "missing");
    }
}
