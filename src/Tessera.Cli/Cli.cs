using System.CommandLine;
using System.Text.Json;
using Tessera.Cpu;
using Tessera.Devices;
using Tessera.Memory;

namespace Tessera.Cli;

/// <summary>Shared plumbing of the subcommands.</summary>
internal static class Cli
{
    /// <summary>The options of the JSON documents the subcommands write: indented for people to read.</summary>
    public static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Exit code of a run refused for bad input (arguments, files, models, sizes, memory).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of an internal error (a bug in Tessera).</summary>
    public const int InternalError = 1;

    /// <summary>The one thread policy of every command: kernels (and the bench's multi-threaded baselines, which get the
    /// same count) use every logical core unless <c>--threads</c> says otherwise.</summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    /// <summary>The <c>--threads</c> option, the same in every command.</summary>
    public static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "CPU threads for the kernels and the bench's baselines (the default is every logical core of this machine)",
        DefaultValueFactory = _ => DefaultThreads,
    };

    /// <summary>The <c>--check-numerics</c> option of <c>run</c> and <c>train</c>.</summary>
    public static Option<bool> CheckNumericsOption() => new("--check-numerics")
    {
        Description = "stop at the first node that writes NaN or ±inf, naming it (reads every output back: slow)",
    };

    /// <summary>The <c>--device</c> option, the same in every command.</summary>
    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "device to run on: cpu, opencl[:N] or cuda[:N] (tessera devices lists them)",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Runs a command body and maps every exception to one line on stderr: bad input — a Tessera error, a file
    /// that cannot be read or written, memory that runs out — exits with <see cref="BadInput"/>; anything else is a bug
    /// in Tessera and exits with <see cref="InternalError"/>, with a request to report it.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is TesseraException)
        {
            return Fail(BadInput, $"error: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(BadInput, $"error: {e.Message}");
        }
        catch (OutOfMemoryException)
        {
            return Fail(BadInput, "error: out of memory: the inputs or the model need more memory than the process has " +
                $"(--max-memory or {MemoryLimits.MemoryVariable} bounds what Tessera asks for)");
        }
        catch (Exception e)
        {
            return Fail(InternalError, $"internal error: {e.GetType().Name}: {e.Message} (a bug in Tessera: please report it with the command line " +
                $"and the inputs; the stack trace: {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()})");
        }
    }

    private static int Fail(int code, string line)
    {
        Console.Error.WriteLine(line.ReplaceLineEndings(" "));
        return code;
    }

    /// <summary>Applies <c>--max-memory</c> (a byte count such as 4G) to <see cref="MemoryLimits.Current"/> when given.</summary>
    public static void ApplyMaxMemory(string? value)
    {
        if (value is not null) MemoryLimits.Current = MemoryLimits.ForMemory(MemoryLimits.ParseBytes(value, "tessera", "--max-memory"));
    }

    /// <summary>Creates the folder an option names for output, before any work: a path that cannot be a writable folder
    /// (under /proc, an existing file, a name too long) is bad input naming the option.</summary>
    public static void OutputDirectory(string command, string option, string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            string probe = Path.Combine(path, $".tessera-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TesseraArgumentException(command, option, $"cannot write to '{path}': {e.Message}");
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
