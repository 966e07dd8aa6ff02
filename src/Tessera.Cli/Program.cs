using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tessera.Cli;
using Tessera.Diagnostics;

var root = new RootCommand("tessera: a compute runtime for deep learning in .NET");
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(OnnxTestCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(FuzzCommand.Create());
root.Subcommands.Add(SoakCommand.Create());
// --max-memory applies to every command; a command line that does not parse is bad input (exit 2, one line).
var maxMemory = new Option<string?>("--max-memory")
{
    Description = "most memory Tessera asks for (bytes, K/M/G/T suffixes; default: half of physical memory or TESSERA_MAX_MEMORY)",
    Recursive = true,
};
root.Options.Add(maxMemory);
// --log-level shows the library's diagnostics (backend discovery, native library probing, pool trims, compile caches).
var logLevel = new Option<LogLevel?>("--log-level")
{
    Description = "log Tessera's diagnostics on standard error from this level up (Trace, Debug, Information, Warning, Error)",
    Recursive = true,
};
root.Options.Add(logLevel);
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    string command = parsed.CommandResult.Command == root ? "tessera" : $"tessera {parsed.CommandResult.Command.Name}";
    Console.Error.WriteLine($"error: {parsed.Errors[0].Message.ReplaceLineEndings(" ")} (see {command} --help)");
    return Cli.BadInput;
}
using var loggerFactory = parsed.GetValue(logLevel) is { } level
    ? LoggerFactory.Create(b => b.SetMinimumLevel(level).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
    : null;
if (loggerFactory is not null) TesseraLogging.LoggerFactory = loggerFactory;
return Cli.Guard(() =>
{
    Cli.ApplyMaxMemory(parsed.GetValue(maxMemory));
    return parsed.Invoke();
});
