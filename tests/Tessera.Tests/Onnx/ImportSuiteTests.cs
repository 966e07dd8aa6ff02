using Tessera.Onnx.Testing;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

/// <summary>The ONNX backend test data (Debian libonnx-testdata) through the runner, in process, on the target device (TestDevices.Target: the CPU unless TESSERA_TEST_DEVICE names another). Cases are
/// selected by the rule "every operator of the model is in scope", never by outcome.</summary>
public class ImportSuiteTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    private static OnnxSuiteResult RunSuite(string name)
    {
        string dir = Path.Combine(Root, name);
        Requirement.Require(Directory.Exists(dir), $"ONNX test data not found at {dir} (Debian package libonnx-testdata)");
        return OnnxTestRunner.Run(new[] { dir }, TestDevices.Target);
    }

    private static string Listing(IEnumerable<OnnxCaseResult> cases) =>
        string.Join("\n", cases.Select(c => $"{c.Status} {c.Name}: {c.Detail}"));

    /// <summary>Why a selected node case may not pass today (each reported in the closing note of issue 4): graph inputs or
    /// outputs that are sequences or optionals (Identity over them), which Tessera's tensors do not hold.</summary>
    private static bool Known(OnnxCaseResult c) =>
        c.Status == OnnxCaseStatus.Unsupported && c.Detail.Contains("sequence, map or optional");

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
        // Issue 4's acceptance: at least 98% of the selected node cases pass (the rest are listed in Known).
        Assert.True(rate >= 0.98, $"{r.Passed}/{r.Selected} = {rate:P1} node cases pass\n" + Listing(r.Cases.Where(c => c.Status != OnnxCaseStatus.Pass)));
    }

    [Theory]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("simple")]
    public void Every_selected_converted_operator_and_simple_case_passes(string suite)
    {
        var r = RunSuite(suite);
        Assert.True(r.Selected > 0);
        var failing = r.Cases.Where(c => c.Status != OnnxCaseStatus.Pass).ToArray();
        Assert.True(failing.Length == 0, $"non-passing {suite} cases:\n" + Listing(failing));
        var named = suite switch
        {
            "simple" => new[] { "test_gradient_of_add", "test_gradient_of_add_and_mul" },
            // float64 data (values near 1e200) kept in double end to end
            "pytorch-operator" => new[] { "test_operator_add_broadcast", "test_operator_add_size1_right_broadcast",
                "test_operator_add_size1_singleton_broadcast", "test_operator_addconstant" },
            _ => Array.Empty<string>(),
        };
        foreach (var name in named)
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
