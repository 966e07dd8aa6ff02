using System.CommandLine;
using Spectre.Console;
using Tessera.Cpu;
using Tessera.Cuda;
using Tessera.Devices;

namespace Tessera.Cli;

/// <summary>`tessera devices`: every backend with its availability, and why not when unavailable.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var cmd = new Command("devices", "List every backend, whether it is available here and, when not, why (each native library tried).");
        cmd.SetAction(_ => Run());
        return cmd;
    }

    private static int Run()
    {
        Cli.RegisterBackends();
        var table = new Table().Border(TableBorder.Rounded).AddColumns("backend", "status", "details");
        foreach (var backend in BackendRegistry.All.OrderBy(b => b.Kind))
        {
            var status = backend.Status;
            string details = status.Available
                ? string.Join("\n", backend.Describe().Select(p => $"{p.Key}: {p.Value}"))
                : status.Reason + (status.Attempts.Count > 0 ? "\n" + string.Join("\n", status.Attempts.Select(a => "  tried " + a)) : "");
            table.AddRow(Markup.Escape(backend.Name), status.Available ? "[green]available[/]" : "[red]unavailable[/]", Markup.Escape(details));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
