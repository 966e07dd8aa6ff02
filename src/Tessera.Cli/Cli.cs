using System.Text.Json;
using Tessera.Cpu;
using Tessera.Devices;

namespace Tessera.Cli;

/// <summary>Shared plumbing of the subcommands.</summary>
internal static class Cli
{
    /// <summary>The options of the JSON documents the subcommands write: indented for people to read.</summary>
    public static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Runs a command body: Tessera errors become one clear line on stderr and exit code 2.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (TesseraException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Touches each backend assembly this build has so that it registers itself.</summary>
    public static void RegisterBackends()
    {
        _ = CpuBackend.Instance;
        _ = Tessera.Cuda.CudaBackend.Instance;
        _ = Tessera.OpenCL.ClBackend.Instance;
    }

    /// <summary>Opens a device by id ("cpu", "cuda:0", "opencl") after registering the backends this build has.</summary>
    public static IDevice OpenDevice(string id, int threads)
    {
        RegisterBackends();
        var device = BackendRegistry.GetDevice(id);
        if (device is CpuDevice cpu) cpu.Threads = threads;
        return device;
    }
}
