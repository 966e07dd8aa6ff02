using System.CommandLine;
using Tessera.Graph.Optimization;

namespace Tessera.Cli;

/// <summary>The <c>--opt none|basic|all</c> option of the commands that run graphs (the graph optimizer's level).</summary>
internal static class OptimizationOption
{
    public static Option<string> Create(string defaultLevel = "all")
    {
        var opt = new Option<string>("--opt")
        {
            Description = "graph optimizer level: none | basic (exact rewrites) | all (also folding and fusion)",
            DefaultValueFactory = _ => defaultLevel,
        };
        opt.AcceptOnlyFromAmong("none", "basic", "all");
        return opt;
    }

    /// <summary>The level an option value names.</summary>
    public static OptimizationLevel Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => OptimizationLevel.None,
        "basic" => OptimizationLevel.Basic,
        "all" or null => OptimizationLevel.All,
        _ => throw new TesseraArgumentException("tessera", "--opt", $"expected none, basic or all, got '{value}'"),
    };
}
