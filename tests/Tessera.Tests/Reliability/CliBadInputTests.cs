using Tessera.Onnx;
using Tessera.Tests.Onnx;
using static Tessera.Tests.Onnx.ImportModels;
using static Tessera.Tests.Reliability.CliProcess;

namespace Tessera.Tests.Reliability;

/// <summary>The `tessera` command on the bad inputs of issue 13: every one is exit code 2 and one line on stderr, with
/// the child's memory under 1 GiB (D2, D6, D7, D8, D9, D14).</summary>
public class CliBadInputTests
{
    [Theory]
    [InlineData(46341L)]
    [InlineData(65536L)]
    public void D2_run_without_input_on_a_huge_declared_input_is_refused_before_filling(long side)
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", side, side).Output("y").Node("Relu", ["x"], ["y"]).Build());
        AssertBadInput(Run("run", model), "argument 'x'");
    }

    [Fact]
    public void D6_pad_to_70002_by_70003_is_refused_under_max_memory()
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 2, 3).InitInts("pads", [0, 0, 70000, 70000], 4).Output("y")
            .Node("Pad", ["x", "pads"], ["y"]).Build());
        AssertBadInput(Run("run", model, "--max-memory", "1G"), "exceed the limit");
    }

    [Fact]
    public void D6_expand_to_2_to_the_32_elements_is_refused_under_the_environment_limit()
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 1, 1).InitInts("s", [65536, 65536], 2).Output("y")
            .Node("Expand", ["x", "s"], ["y"]).Build());
        AssertBadInput(Run(new Dictionary<string, string> { ["TESSERA_MAX_MEMORY"] = "1G" }, "run", model), "exceed the limit");
    }

    [Fact]
    public void D6_an_unreadable_max_memory_is_bad_input()
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 2).Output("y").Node("Relu", ["x"], ["y"]).Build());
        AssertBadInput(Run("run", model, "--max-memory", "lots"), "--max-memory");
        AssertBadInput(Run(new Dictionary<string, string> { ["TESSERA_MAX_MEMORY"] = "-5" }, "run", model), "TESSERA_MAX_MEMORY");
    }

    [Theory]
    [InlineData("model")]
    [InlineData("npy")]
    [InlineData("pb")]
    public void D7_a_symlink_to_dev_zero_is_refused_at_once(string which)
    {
        string dir = TempDir();
        string zero = Path.Combine(dir, which == "model" ? "zero.onnx" : $"zero.{which}");
        File.CreateSymbolicLink(zero, "/dev/zero");
        string model = which == "model" ? zero : WriteModel(dir, new ImportModels().Input("x", 2).Output("y").Node("Relu", ["x"], ["y"]).Build());
        var r = which == "model" ? Run("run", zero) : Run("run", model, "--input", $"x={zero}");
        AssertBadInput(r, "not a regular file");
    }

    [Theory]
    [InlineData("/proc/tessera-output")]
    [InlineData("FILE")]
    [InlineData("LONG")]
    public void D8_an_output_folder_that_cannot_be_created_is_bad_input(string output)
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 2).Output("y").Node("Relu", ["x"], ["y"]).Build());
        if (output == "FILE") output = model;
        if (output == "LONG") output = Path.Combine(dir, new string('o', 300));
        AssertBadInput(Run("run", model, "--output", output), "--output");
    }

    [Fact]
    public void D8_an_unwritable_train_out_is_bad_input()
    {
        AssertBadInput(Run("train", "--out", "/proc/tessera-train-out", "--epochs", "1"), "--out");
    }

    [Fact]
    public void D8_a_command_line_that_does_not_parse_is_bad_input()
    {
        AssertBadInput(Run("run"), "run");
        AssertBadInput(Run("run", "m.onnx", "--repeat", "many"), "many");
    }

    [Fact]
    public void D9_run_refuses_an_input_of_another_shape_than_declared()
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 2, 3).Output("y").Node("Relu", ["x"], ["y"]).Build());
        string npy = Path.Combine(dir, "x.npy");
        NpyFile.Write(npy, new NpyArray(DType.Float32, [5, 7], new byte[5 * 7 * 4]));
        AssertBadInput(Run("run", model, "--input", $"x={npy}"), "declares [2, 3]");
    }

    [Fact]
    public void D14_onnx_test_of_a_named_case_out_of_scope_says_so_and_exits_2()
    {
        string dir = TempDir();
        string caseDir = Path.Combine(dir, "test_fancy");
        Directory.CreateDirectory(caseDir);
        WriteModel(caseDir, new ImportModels().Input("x", 2).Output("y").Node("FancyOp", ["x"], ["y"]).Build());
        var r = Run("onnx-test", caseDir);
        AssertBadInput(r, "test_fancy");
        Assert.Contains("EXCLUDED    test_fancy", r.Stdout);
        Assert.Contains("operator FancyOp", r.Stdout);
    }

    [Fact]
    public void A_model_that_runs_still_exits_0_and_writes_its_outputs()
    {
        string dir = TempDir();
        var model = WriteModel(dir, new ImportModels().Input("x", 2, 3).Output("y").Node("Relu", ["x"], ["y"]).Build());
        string outDir = Path.Combine(dir, "out");
        var r = Run("run", model, "--output", outDir, "--max-memory", "512M");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(new[] { 2, 3 }, NpyFile.Read(Path.Combine(outDir, "y.npy")).Shape);
    }
}
