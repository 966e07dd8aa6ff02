namespace Tessera.Bench.Models;

/// <summary>One engine's side of an interleaved comparison: per-call times over the rounds, its warm-up, and how many
/// calls each round timed.</summary>
public sealed record EngineTiming(string Engine, TimeStats Time, Warmup Warmup, int CallsPerRound);

/// <summary>Tessera against ONNX Runtime on one model: timings, the ratio ORT ms / Tessera ms (above 1: Tessera is
/// faster), the distance between their outputs and, when reference outputs were given (PyTorch's, for the model set),
/// each engine's distance from them.</summary>
public sealed record ModelComparison(
    EngineTiming OnnxRuntime, EngineTiming Tessera, int Rounds, OutputDiff Diff, OutputDiff? TesseraVsReference, OutputDiff? OnnxRuntimeVsReference)
{
    /// <summary>ORT's median time per call over Tessera's.</summary>
    public double Ratio => OnnxRuntime.Time.Median / Tessera.Time.Median;

    /// <summary>Tessera's outputs agree with ONNX Runtime's, and with the reference when there is one, within
    /// <see cref="ModelComparer.Tolerance"/>.</summary>
    public bool Agrees => Diff.Normalized <= ModelComparer.Tolerance && (TesseraVsReference?.Normalized ?? 0) <= ModelComparer.Tolerance;
}
