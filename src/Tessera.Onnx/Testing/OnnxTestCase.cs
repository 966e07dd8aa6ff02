namespace Tessera.Onnx.Testing;

/// <summary>Outcome of one ONNX test case.</summary>
public enum OnnxCaseStatus { Pass, Fail, Unsupported, Error }

/// <summary>One case's result: status, detail (the failing comparison, the unsupported operator or attribute, the error
/// message), the worst errors over all outputs and data sets, and the first mismatching flat index (−1 when none).</summary>
public sealed record OnnxCaseResult(
    string Name, string Directory, OnnxCaseStatus Status, string Detail, double MaxAbsError, double MaxRelError, long FirstMismatch, double Seconds);

/// <summary>Results of a run: the cases run (selected) in order and the count excluded by the selection rule.</summary>
public sealed record OnnxSuiteResult(IReadOnlyList<OnnxCaseResult> Cases, int Excluded, IReadOnlyList<string> ExcludedNames)
{
    /// <summary>Why each excluded case is out of scope (by case name): its out-of-scope operators and Cast/CastLike element
    /// types, "; "-separated (see <see cref="OnnxTestRunner.OutOfScope"/>).</summary>
    public IReadOnlyDictionary<string, string> ExclusionReasons { get; init; } = new Dictionary<string, string>();

    /// <summary>Excluded cases that were named directly (a case folder given as a path, not found in a folder of cases).</summary>
    public IReadOnlyList<string> NamedExcluded { get; init; } = Array.Empty<string>();

    /// <summary>Excluded cases whose every reason is a Cast/CastLike element type (all their operators are in scope).</summary>
    public int ExcludedByCastType => ExclusionReasons.Values.Count(r => r.Split("; ").All(OnnxTestRunner.IsCastTypeReason));

    public int Selected => Cases.Count;
    public int Passed => Cases.Count(c => c.Status == OnnxCaseStatus.Pass);
    public int Failed => Cases.Count(c => c.Status is OnnxCaseStatus.Fail or OnnxCaseStatus.Error);
    public int Skipped => Cases.Count(c => c.Status == OnnxCaseStatus.Unsupported);

    /// <summary>The last line of the runner's report.</summary>
    public string Summary => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}

/// <summary>How outputs are compared: |actual − expected| ≤ Atol + Rtol·|expected| (NumPy's assert_allclose, as the ONNX
/// backend tests use it); integers and booleans exactly; shapes and element types must match.</summary>
public readonly record struct OnnxTolerance(double Rtol = 1e-3, double Atol = 1e-7)
{
    public OnnxTolerance() : this(1e-3, 1e-7) { }
}
