using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.Coverage;

/// <summary>The enumerating coverage test: every value of <see cref="Kernels.OpKind"/> and of the op enums has a
/// reference, CPU and GPU kernels, a gradient rule where differentiable, conformance and finite-difference cases, a
/// bench case (or a reason) and an ONNX mapping (or a reason); see <see cref="OpCoverage"/>. The GPU kernels run on
/// the first OpenCL device (POCL in CI); without one the test is skipped, or fails under CI=true.</summary>
public class OpCoverageTests
{
    [Fact]
    public void EveryOpHasItsReferenceKernelsGradientTestsAndMappings()
    {
        var cl = ClBackend.Instance;
        using var gpu = cl.Status.Available ? new ClDevice(0, cl.Devices[0]) : null;
        var problems = new OpCoverage(TestDevices.Cpu, gpu).Problems();
        Assert.True(problems.Count == 0, $"{problems.Count} ops lack something:\n{string.Join("\n", problems)}");
        Requirement.Require(gpu is not null, $"OpenCL: {cl.Status.Reason} (the GPU kernels were not run)");
    }
}
