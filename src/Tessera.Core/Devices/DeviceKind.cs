namespace Tessera.Devices;

/// <summary>The families of devices Tessera can run on.</summary>
public enum DeviceKind
{
    /// <summary>The CPU backend (Tessera.Cpu).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA (Tessera.Cuda).</summary>
    Cuda,
    /// <summary>An OpenCL device (Tessera.OpenCL).</summary>
    OpenCL,
}
