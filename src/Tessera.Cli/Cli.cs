using System.CommandLine;
using System.Text.Json;
using Tessera.Cpu;
using Tessera.Devices;

namespace Tessera.Cli;

/// <summary>Shared plumbing of the subcommands.</summary>
internal static class Cli
{
    /// <summary>The options of the JSON documents the subcommands write: indented for people to read.</summary>
    public static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>The one thread policy of every command: kernels (and the bench's multi-threaded baselines, which get the
    /// same count) use every logical core unless <c>--threads</c> says otherwise.</summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    /// <summary>The <c>--threads</c> option, the same in every command.</summary>
    public static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "CPU threads for the kernels and the bench's baselines (the default is every logical core of this machine)",
        DefaultValueFactory = _ => DefaultThreads,
    };

    /// <summary>The <c>--device</c> option, the same in every command.</summary>
    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "device to run on: cpu, opencl[:N] or cuda[:N] (tessera devices lists them)",
        DefaultValueFactory = _ => "cpu",
    };

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
