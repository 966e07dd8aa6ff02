using System.Text.Json;
using Tessera.Bench.Baselines;
using Tessera.Onnx.Protobuf;
using Tessera.Tests.Onnx;
using Tessera.Tests.Support;

namespace Tessera.Tests.ModelSuite;

/// <summary><c>tessera compare</c> end to end: bad arguments are one line and exit code 2; a model runs in both engines
/// and its JSON result holds both timings, the ratio and the differences; <c>--all</c> compares every case of a folder,
/// reports a model that fails, and takes the geometric mean of the others.</summary>
public class CompareCommandTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("tessera-compare").FullName;

    private static string SymbolicModel()
    {
        string file = Path.Combine(TempDir(), "mlp.onnx");
        File.WriteAllBytes(file, OnnxWriter.WriteModel(TinyModels.Mlp(symbolic: "N")));
        return file;
    }

    [Fact]
    public void Bad_arguments_are_one_line_and_exit_code_2()
    {
        string model = SymbolicModel();
        TesseraCli.AssertArgumentError("give either one MODEL or --all DIR", "compare");
        TesseraCli.AssertArgumentError("give either one MODEL or --all DIR", "compare", model, "--all", Path.GetDirectoryName(model)!);
        TesseraCli.AssertArgumentError("neither an .onnx file nor a folder", "compare", Path.Combine(TempDir(), "none.onnx"));
        TesseraCli.AssertArgumentError("holds no model.onnx", "compare", TempDir());
        TesseraCli.AssertArgumentError("--rounds", "compare", model, "--rounds", "0");
        TesseraCli.AssertArgumentError("--threads", "compare", model, "--threads", "0");
        TesseraCli.AssertArgumentError("expected table, md or json", "compare", model, "--format", "xml");
        TesseraCli.AssertArgumentError("fast", "compare", model, "--opt", "fast");
        TesseraCli.AssertArgumentError("--rounds", "compare", model, "--rounds", "many");   // a parse error, also one line
        TesseraCli.AssertArgumentError("is not NAME=FILE", "compare", model, "--input", "x");
        TesseraCli.AssertArgumentError("the model has no input 'z'", "compare", model, "--input", "z=z.npy");
        TesseraCli.AssertArgumentError("does not exist", "compare", model, "--input", "x=" + Path.Combine(TempDir(), "x.npy"));
        TesseraCli.AssertArgumentError("--dim N=SIZE", "compare", model);
        TesseraCli.AssertArgumentError("whole number", "compare", model, "--dim", "N=two");
        TesseraCli.AssertArgumentError("no input has a dimension named 'M'", "compare", model, "--dim", "N=2", "--dim", "M=3");
        TesseraCli.AssertArgumentError("does not exist", "compare", "--all", Path.Combine(TempDir(), "missing"));
        TesseraCli.AssertArgumentError("--input and --dim apply to one MODEL", "compare", "--all", TempDir(), "--dim", "N=2");
    }

    [Fact]
    public void A_model_with_a_symbolic_dimension_runs_in_both_engines()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        var (exit, stdout, stderr) = TesseraCli.Run("compare", SymbolicModel(), "--dim", "N=3", "--rounds", "4", "--format", "json");
        Assert.True(exit == 0, stderr + stdout);
        using var doc = JsonDocument.Parse(stdout);
        var m = doc.RootElement.GetProperty("models")[0];
        Assert.Equal("ok", m.GetProperty("status").GetString());
        Assert.Equal("seeded", m.GetProperty("inputs").GetString());
        foreach (var engine in new[] { "onnxruntime", "tessera" })
        {
            var t = m.GetProperty(engine);
            Assert.Equal(4, t.GetProperty("rounds").GetInt32());
            Assert.True(t.GetProperty("warmup_calls").GetInt32() >= 60);
            Assert.True(t.GetProperty("p10_ms").GetDouble() <= t.GetProperty("median_ms").GetDouble());
        }
        double ratio = m.GetProperty("onnxruntime").GetProperty("median_ms").GetDouble() / m.GetProperty("tessera").GetProperty("median_ms").GetDouble();
        Assert.Equal(ratio, m.GetProperty("ratio").GetDouble(), 9);
        Assert.True(m.GetProperty("diff").GetProperty("rel_err").GetDouble() < 1e-6);
        Assert.Equal(JsonValueKind.Null, m.GetProperty("reference").ValueKind);
        Assert.Equal(1, doc.RootElement.GetProperty("header").GetProperty("threads").GetInt32());
        Assert.Equal("all", doc.RootElement.GetProperty("optimization").GetString());   // the default, as run's
        Assert.Contains("input 'x'", stderr);   // the note that it was filled
    }

    [Theory]
    [InlineData("none")]
    [InlineData("basic")]
    public void Opt_sets_the_graph_optimizer_level_of_tessera(string level)
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        var (exit, stdout, stderr) = TesseraCli.Run("compare", SymbolicModel(), "--dim", "N=2", "--rounds", "1", "--opt", level, "--format", "json");
        Assert.True(exit == 0, stderr + stdout);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(level, doc.RootElement.GetProperty("optimization").GetString());
        Assert.Equal("ok", doc.RootElement.GetProperty("models")[0].GetProperty("status").GetString());
        (exit, stdout, stderr) = TesseraCli.Run("compare", SymbolicModel(), "--dim", "N=2", "--rounds", "1", "--opt", level);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains($"--opt {level}", stdout);
    }

    [Fact]
    public void All_compares_every_case_against_its_reference_and_lists_the_failures()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        string root = TempDir();
        var x = ImportModels.Data(5, 2 * TinyModels.In);
        TinyModels.WriteCase(Path.Combine(root, "good"), TinyModels.Mlp(batch: 2), x, TinyModels.Expected(x));
        // A case whose reference output is wrong: both engines run, the row is a mismatch.
        TinyModels.WriteCase(Path.Combine(root, "mismatch"), TinyModels.Mlp(batch: 2), x, TinyModels.Expected(x).Select(v => v + 1).ToArray());
        // A case Tessera cannot import: an error row, the others still run.
        string bad = Path.Combine(root, "unsupported");
        Directory.CreateDirectory(bad);
        File.WriteAllBytes(Path.Combine(bad, "model.onnx"), OnnxWriter.WriteModel(new ImportModels(13).Input("x", 2).Output("y")
            .Node("Acosh", ["x"], ["y"]).Build()));

        var (exit, stdout, stderr) = TesseraCli.Run("compare", "--all", root, "--rounds", "2");
        Assert.True(exit == 1, stderr + stdout);
        var lines = stdout.Split('\n');
        Assert.Matches(@"^good\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s.*\sok$", lines.Single(l => l.StartsWith("good ", StringComparison.Ordinal)).TrimEnd());
        Assert.EndsWith("MISMATCH", lines.Single(l => l.StartsWith("mismatch ", StringComparison.Ordinal)).TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("Acosh", lines.Single(l => l.StartsWith("unsupported ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("geometric mean of the ratio over 2 model(s)", StringComparison.Ordinal));
    }
}
