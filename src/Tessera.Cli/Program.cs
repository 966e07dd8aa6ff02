using System.CommandLine;
using Tessera.Cli;

var root = new RootCommand("tessera: a compute runtime for deep learning in .NET");
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(OnnxTestCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // A bad command line is one clear line and exit code 2, like every other bad argument (Cli.Guard).
    string command = parsed.CommandResult.Command == root ? "tessera" : $"tessera {parsed.CommandResult.Command.Name}";
    Console.Error.WriteLine($"error: {parsed.Errors[0].Message} (see {command} --help)");
    return 2;
}
return parsed.Invoke();
