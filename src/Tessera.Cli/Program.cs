using System.CommandLine;
using Tessera.Cli;

var root = new RootCommand("tessera: a compute runtime for deep learning in .NET");
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(OnnxTestCommand.Create());
root.Subcommands.Add(RunCommand.Create());
return root.Parse(args).Invoke();
