using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tessera;

/// <summary>A debugging aid that finds tensors nobody disposed. While <see cref="Enabled"/>, every tensor created outside a
/// <see cref="TensorScope"/> (or detached from one) is watched; one that the garbage collector finds unreachable without
/// <see cref="Tensor.Dispose"/> having been called is counted in <see cref="Leaked"/> and described in
/// <see cref="Leaks"/> (shape, dtype, device and, with <see cref="CaptureStacks"/>, where it was created). Nothing is
/// freed on the leaker's behalf: its memory stays leased from the pool, as it would without the check, so the count is
/// the defect and not a hidden cost. <c>TESSERA_LEAK_CHECK=1</c> turns the check on from the start of the process
/// (<c>stacks</c> also captures creation stacks) and prints the count, and the first leaks, to stderr when the process
/// exits.</summary>
public static class TensorLeaks
{
    /// <summary>The environment variable: <c>1</c> watches tensors, <c>stacks</c> also records where each was created.</summary>
    public const string Variable = "TESSERA_LEAK_CHECK";

    /// <summary>How many leak descriptions are kept (the count goes on beyond it).</summary>
    public const int MaxDescriptions = 1000;

    private static long _leaked, _watched;
    private static readonly ConcurrentQueue<string> Described = new();
    private static volatile bool _enabled, _stacks;

    static TensorLeaks()
    {
        string? v = Environment.GetEnvironmentVariable(Variable)?.Trim().ToLowerInvariant();
        if (v is null or "" or "0" or "false" or "off") return;
        _enabled = true;
        _stacks = v == "stacks";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.Error.WriteLine(Summary(collect: true, max: 10));
    }

    /// <summary>Whether new tensors outside a scope are watched (tensors already watched stay watched).</summary>
    public static bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>Whether each watched tensor records the stack that created it (slow: for finding the leaker).</summary>
    public static bool CaptureStacks
    {
        get => _stacks;
        set => _stacks = value;
    }

    /// <summary>Watched tensors collected without being disposed, since the start or the last <see cref="Reset"/>.</summary>
    public static long Leaked => Interlocked.Read(ref _leaked);

    /// <summary>Watched tensors neither disposed nor collected yet: alive, or unreachable and not yet found by a collection.</summary>
    public static long Outstanding => Interlocked.Read(ref _watched);

    /// <summary>The first <see cref="MaxDescriptions"/> leaks: "Tensor(f32 [2, 3]) on cpu" and, with stacks, where it was made.</summary>
    public static IReadOnlyList<string> Leaks => Described.ToArray();

    /// <summary>One line (with <paramref name="max"/> leak descriptions after it): the leak count, after a full, finalizing
    /// collection when <paramref name="collect"/> is true.</summary>
    public static string Summary(bool collect = true, int max = 10)
    {
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        var leaks = Leaks;
        string line = $"note: {Variable}: {Leaked} tensors created outside a TensorScope were never disposed; {Outstanding} still alive";
        return leaks.Count == 0 ? line : line + Environment.NewLine + string.Join(Environment.NewLine, leaks.Take(max).Select(l => "note:   " + l));
    }

    /// <summary>Clears the count and the descriptions (tensors already watched stay watched).</summary>
    public static void Reset()
    {
        Interlocked.Exchange(ref _leaked, 0);
        Described.Clear();
    }

    /// <summary>Starts watching <paramref name="t"/> when the check is on; returns the watch (null when off).</summary>
    internal static Watch? Begin(Tensor t)
    {
        if (!_enabled) return null;
        Interlocked.Increment(ref _watched);
        string what = $"{t} on {t.Device.Id}";
        if (_stacks) what += " created at " + new StackTrace(2, fNeedFileInfo: true).ToString().ReplaceLineEndings(" | ").Trim();
        return new Watch(what);
    }

    /// <summary>The finalizable companion of a watched tensor: the tensor alone refers to it, so it becomes unreachable
    /// with the tensor, and its finalizer counts the tensor as leaked unless <see cref="Dispose"/> ran at the tensor's disposal. It
    /// frees nothing.</summary>
    internal sealed class Watch(string description) : IDisposable
    {
        private int _done;

        /// <summary>The tensor was disposed (or handed to a scope): no leak.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            Interlocked.Decrement(ref _watched);
            GC.SuppressFinalize(this);
        }

        ~Watch()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            Interlocked.Decrement(ref _watched);
            Interlocked.Increment(ref _leaked);
            if (Described.Count < MaxDescriptions) Described.Enqueue(description);
        }
    }
}
