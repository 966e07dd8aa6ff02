namespace Tessera.Devices;

/// <summary>The families of devices Tessera can run on.</summary>
public enum DeviceKind
{
    Cpu,
    Cuda,
    OpenCL,
}
