using Tessera.Bench;

namespace Tessera.Cli;

/// <summary>Reading a saved bench report, with a clear error for a missing or foreign file.</summary>
internal static class BenchReportFile
{
    public static BenchReport Read(string path, string command, string argument)
    {
        if (!File.Exists(path)) throw new TesseraArgumentException(command, argument, $"no such file '{path}'");
        try { return BenchReport.FromJson(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e)
        {
            throw new TesseraArgumentException(command, argument, $"'{path}' is not a bench JSON report ({e.Message.Split('\n')[0]})");
        }
    }
}
