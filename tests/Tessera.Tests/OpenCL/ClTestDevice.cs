using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>The OpenCL device the backend's own tests use (skipped without OpenCL, failed under CI=true).</summary>
internal static class ClTestDevice
{
    /// <summary>The backend's shared first device.</summary>
    public static ClDevice Shared()
    {
        var b = ClBackend.Instance;
        Requirement.Require(b.Status.Available, $"OpenCL: {b.Status.Reason}");
        return (ClDevice)b.GetDevice(0);
    }

    /// <summary>A device of its own (context, queue, pool) on the first OpenCL device: no other test's allocations.</summary>
    public static ClDevice Private()
    {
        var b = ClBackend.Instance;
        Requirement.Require(b.Status.Available, $"OpenCL: {b.Status.Reason}");
        return new ClDevice(0, b.Devices[0]);
    }
}
