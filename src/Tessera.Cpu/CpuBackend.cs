using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Devices;

namespace Tessera.Cpu;

/// <summary>The CPU backend: always available, one device. Registers itself when the assembly loads.</summary>
public sealed class CpuBackend : IBackend
{
    private static readonly Lazy<CpuDevice> SharedDevice = new(() => new CpuDevice());

    /// <summary>The CPU backend (one per process).</summary>
    public static CpuBackend Instance { get; } = new();

    /// <summary>The process-wide CPU device.</summary>
    public static CpuDevice Device => SharedDevice.Value;

#pragma warning disable CA2255 // a library registering its backend on load is the intended use here
    [ModuleInitializer]
    internal static void RegisterOnLoad()
    {
        BackendRegistry.Register(Instance);
        SimdSupport.WarnOnce();
    }
#pragma warning restore CA2255

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cpu;
    /// <inheritdoc/>
    public string Name => "CPU";
    /// <inheritdoc/>
    public BackendStatus Status => BackendStatus.Ok;
    /// <inheritdoc/>
    public int DeviceCount => 1;

    /// <inheritdoc/>
    public IDevice GetDevice(int ordinal = 0)
    {
        if (ordinal != 0) throw new TesseraDeviceException("CpuBackend.GetDevice", nameof(ordinal), $"the CPU backend has one device, not {ordinal + 1}");
        return Device;
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var d = Device;
        static KeyValuePair<string, string> P(string k, string v) => new(k, v);
        return new[]
        {
            P("model", d.Name),
            P("logical cores", Environment.ProcessorCount.ToString()),
            P("threads", d.Threads.ToString()),
            P("Vector512", Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated"),
            P("Vector256", Vector256.IsHardwareAccelerated ? "accelerated" : "not accelerated"),
            P("Vector128", Vector128.IsHardwareAccelerated ? "accelerated" : "not accelerated"),
            P("AVX-512F", Avx512F.IsSupported ? "yes" : "no"),
            P("FMA", Fma.IsSupported ? "yes" : "no"),
            P("memory pool", "64-byte aligned, size-class cache"),
            P("SIMD", SimdSupport.Warning is { } w ? $"warning: {w}" : "uses the processor's widest vector extension"),
        };
    }
}
