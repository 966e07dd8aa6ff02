using Tessera.Onnx.Testing;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

/// <summary>The ONNX backend test data (Debian libonnx-testdata) through the runner, in process, on the CPU. Cases are
/// selected by the rule "every operator of the model is in scope", never by outcome.</summary>
public class ImportSuiteTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    private static OnnxSuiteResult RunSuite(string name)
    {
        string dir = Path.Combine(Root, name);
        Requirement.Require(Directory.Exists(dir), $"ONNX test data not found at {dir} (Debian package libonnx-testdata)");
        return OnnxTestRunner.Run(new[] { dir }, TestDevices.Cpu);
    }

    private static string Listing(IEnumerable<OnnxCaseResult> cases) =>
        string.Join("\n", cases.Select(c => $"{c.Status} {c.Name}: {c.Detail}"));

    /// <summary>Why a selected case may not pass today (each reported in the closing note of issue 4): element types
    /// Tessera has no dtype for, float64 data beyond the float32 range, sequence/optional values, training-mode dropout
    /// (its expected mask comes from NumPy's generator), and float→bfloat16 casts whose packaged expectations truncate
    /// where Tessera rounds to nearest even (the current ONNX rule).</summary>
    private static bool Known(OnnxCaseResult c) =>
        c.Status == OnnxCaseStatus.Unsupported && (
            c.Detail.Contains("graph input: element type String") ||
            c.Detail.Contains("'to' = String") ||
            c.Detail.Contains("exceeds the float32 range") ||
            c.Detail.Contains("sequence, map or optional"))
        || c.Status == OnnxCaseStatus.Fail && c.Name is "test_cast_FLOAT_to_BFLOAT16" or "test_castlike_FLOAT_to_BFLOAT16_expanded";

    [Fact]
    public void Node_tests_in_scope_pass_except_the_listed_gaps()
    {
        var r = RunSuite("node");
        Assert.True(r.Selected > 350, $"only {r.Selected} node cases selected");
        foreach (var name in new[] { "test_adam", "test_adam_multiple", "test_momentum", "test_momentum_multiple", "test_nesterov_momentum",
                     "test_training_dropout", "test_training_dropout_default", "test_training_dropout_default_mask", "test_training_dropout_mask" })
        {
            var c = r.Cases.SingleOrDefault(x => x.Name == name);
            Assert.True(c is { Status: OnnxCaseStatus.Pass }, $"{name}: {c?.Status} {c?.Detail}");
        }
        var unexpected = r.Cases.Where(c => c.Status != OnnxCaseStatus.Pass && !Known(c)).ToArray();
        Assert.True(unexpected.Length == 0, "unexpected non-passing node cases:\n" + Listing(unexpected));
        // Cast is scoped to float, int32, int64, bool: cases casting to or from other types are excluded, passing or not.
        foreach (var (name, reason) in new[] { ("test_cast_FLOAT_to_DOUBLE", "Cast to DOUBLE"), ("test_cast_FLOAT16_to_FLOAT", "Cast from FLOAT16"),
                     ("test_cast_FLOAT_to_BFLOAT16", "Cast to BFLOAT16"), ("test_castlike_FLOAT_to_STRING_expanded", "Cast to STRING") })
        {
            Assert.Contains(name, r.ExcludedNames);
            Assert.Contains(reason, r.ExclusionReasons[name]);
        }
        Assert.True(r.ExcludedByCastType >= 16, $"{r.ExcludedByCastType} cases excluded for Cast types");
        double rate = (double)r.Passed / r.Selected;
        // Issue 4's goal is 98%; the remaining gaps are element types and 3-D ops Tessera lacks (listed in Known).
        Assert.True(rate >= 0.96, $"{r.Passed}/{r.Selected} = {rate:P1} node cases pass\n" + Listing(r.Cases.Where(c => c.Status != OnnxCaseStatus.Pass)));
    }

    [Theory]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("simple")]
    public void Converted_operator_and_simple_cases_in_scope_pass_except_the_listed_gaps(string suite)
    {
        var r = RunSuite(suite);
        Assert.True(r.Selected > 0);
        var unexpected = r.Cases.Where(c => c.Status != OnnxCaseStatus.Pass && !Known(c)).ToArray();
        Assert.True(unexpected.Length == 0, $"unexpected non-passing {suite} cases:\n" + Listing(unexpected));
        if (suite == "simple")
            foreach (var name in new[] { "test_gradient_of_add", "test_gradient_of_add_and_mul" })
                Assert.Equal(OnnxCaseStatus.Pass, r.Cases.Single(c => c.Name == name).Status);
    }

    [Fact]
    public void Selection_counts_do_not_depend_on_outcomes()
    {
        var r = RunSuite("simple");
        // 23 cases: the Expand, Relu, Gradient models are in scope; sequences, string normalisers, Shrink, Sign are not.
        Assert.Equal(23, r.Selected + r.Excluded);
        Assert.Contains("test_sign_model", r.ExcludedNames);
        Assert.DoesNotContain(r.Cases, c => c.Name == "test_sign_model");
    }
}
