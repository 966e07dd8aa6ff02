using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>Optimizers have no backward; what can be checked against calculus is that the reference steps descend:
/// with a gradient taken by central finite differences of a quadratic loss, repeated steps reduce the loss, and SGD's
/// step equals −lr times that numeric gradient.</summary>
public class OptimizerGradTests
{
    private static double Loss(RefTensor x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (i + 1) * (x.Data[i] - 0.5) * (x.Data[i] - 0.5);
        return s;
    }

    private static RefTensor NumericGrad(RefTensor x) => FiniteDiff.Numeric(x, () => Loss(x));

    [Fact]
    public void SgdStepIsMinusLrTimesNumericGradient()
    {
        var x = Rand.Uniform(1, new[] { 6 });
        var g = NumericGrad(x);
        var y = RefOptimizer.SgdStep(x, g, new SgdParams(0.01f));
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(x.Data[i] - 0.01f * 2 * (i + 1) * (x.Data[i] - 0.5), y.Data[i], 1e-8);
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("onnx-adam")]
    [InlineData("onnx-momentum")]
    public void ReferenceStepsDescendAQuadratic(string kind)
    {
        var x = Rand.Uniform(2, new[] { 5 });
        var s1 = new RefTensor(5);
        var s2 = new RefTensor(5);
        double start = Loss(x);
        for (int step = 0; step < 50; step++)
        {
            var g = NumericGrad(x);
            switch (kind)
            {
                case "momentum": (x, s1) = RefOptimizer.MomentumStep(x, g, s1, new MomentumParams(0.02f, 0.9f, Step: step + 1)); break;
                case "nesterov": (x, s1) = RefOptimizer.MomentumStep(x, g, s1, new MomentumParams(0.02f, 0.9f, Nesterov: true, Step: step + 1)); break;
                case "adam": (x, s1, s2) = RefOptimizer.AdamStep(x, g, s1, s2, new AdamParams(0.05f, Step: step + 1)); break;
                case "adamw": (x, s1, s2) = RefOptimizer.AdamStep(x, g, s1, s2, new AdamParams(0.05f, WeightDecay: 0.01f, Decoupled: true, Step: step + 1)); break;
                case "onnx-adam": (x, s1, s2) = RefOptimizer.AdamStep(x, g, s1, s2, new AdamParams(0.05f, Step: step, Mode: OptimizerMode.DecayedRate)); break;
                default: (x, s1) = RefOptimizer.MomentumStep(x, g, s1, new MomentumParams(0.02f, 0.9f, Step: step, Mode: OptimizerMode.DecayedRate)); break;
            }
        }
        Assert.True(Loss(x) < 0.1 * start, $"{kind}: loss {start} → {Loss(x)}");
    }
}
