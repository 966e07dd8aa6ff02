namespace Tessera.Onnx.Testing;

/// <summary>Outcome of one ONNX test case.</summary>
public enum OnnxCaseStatus
{
    /// <summary>Every output matched the expected one within the tolerance.</summary>
    Pass,
    /// <summary>An output differed from the expected one beyond the tolerance.</summary>
    Fail,
    /// <summary>The model uses an operator, attribute or type Tessera does not implement.</summary>
    Unsupported,
    /// <summary>The case could not be run (an exception other than an unsupported feature).</summary>
    Error,
}

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

    /// <summary>The number of cases run.</summary>
    public int Selected => Cases.Count;
    /// <summary>The number of cases that passed.</summary>
    public int Passed => Cases.Count(c => c.Status == OnnxCaseStatus.Pass);
    /// <summary>The number of cases that failed or errored.</summary>
    public int Failed => Cases.Count(c => c.Status is OnnxCaseStatus.Fail or OnnxCaseStatus.Error);
    /// <summary>The number of cases with an unsupported feature.</summary>
    public int Skipped => Cases.Count(c => c.Status == OnnxCaseStatus.Unsupported);

    /// <summary>The last line of the runner's report.</summary>
    public string Summary => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}

/// <summary>How outputs are compared: |actual − expected| ≤ Atol + Rtol·|expected| (NumPy's assert_allclose, as the ONNX
/// backend tests use it); integers and booleans exactly; shapes and element types must match.</summary>
public readonly record struct OnnxTolerance(double Rtol = 1e-3, double Atol = 1e-7)
{
    /// <summary>NumPy's assert_allclose tolerances as the ONNX backend tests use them: rtol 1e-3, atol 1e-7.</summary>
    public OnnxTolerance() : this(1e-3, 1e-7) { }
}
