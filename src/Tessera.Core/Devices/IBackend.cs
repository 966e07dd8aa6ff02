namespace Tessera.Devices;

/// <summary>A family of devices (CPU, CUDA, OpenCL). A backend may be unavailable; it then says why.</summary>
public interface IBackend
{
    /// <summary>The kind of device the backend makes.</summary>
    DeviceKind Kind { get; }
    /// <summary>The backend's name, as <see cref="BackendRegistry.GetDevice(string)"/> takes it ("cpu", "cuda", "opencl").</summary>
    string Name { get; }

    /// <summary>Whether the backend can create devices here, and why not when it cannot.</summary>
    BackendStatus Status { get; }

    /// <summary>Number of devices (0 when unavailable).</summary>
    int DeviceCount { get; }

    /// <summary>The device with this ordinal (shared: created once, owned by the backend).</summary>
    IDevice GetDevice(int ordinal = 0);

    /// <summary>Facts for `tessera devices`: name/value pairs per device.</summary>
    IReadOnlyList<KeyValuePair<string, string>> Describe();
}

/// <summary>Availability of a backend.</summary>
/// <param name="Available">True when devices can be created.</param>
/// <param name="Reason">Why not, naming every native library tried; empty when available.</param>
/// <param name="Attempts">Each library name or check tried with its outcome.</param>
public sealed record BackendStatus(bool Available, string Reason, IReadOnlyList<string> Attempts)
{
    /// <summary>The status of an available backend.</summary>
    public static BackendStatus Ok { get; } = new(true, "", Array.Empty<string>());
    /// <summary>The status of a backend that cannot make devices, because of <paramref name="reason"/>, with the <paramref name="attempts"/> that failed.</summary>
    public static BackendStatus Unavailable(string reason, IReadOnlyList<string>? attempts = null) =>
        new(false, reason, attempts ?? Array.Empty<string>());
}
