using System.Globalization;

namespace Tessera.Memory;

/// <summary>
/// The sizes Tessera refuses before it allocates: the element count of one tensor, the bytes of a plan's intermediates
/// (its planned arena), and the bytes a memory pool holds from the system (leased plus cached). One set of limits
/// (<see cref="Current"/>) serves the process: every allocating path checks it first — <see cref="Tensor.Empty(Devices.IDevice, DType, Shape)"/>
/// (every eager op and kernel scratch), the graph builder for every value it infers (Pad, Expand, ConstantOfShape...
/// in a graph or an imported model), <c>ExecutionPlan.Compile</c> for the arena, and <see cref="SizeClassPool"/> for
/// every block it takes from the system — so that an absurd size is a Tessera error instead of a request the
/// operating system answers with its out-of-memory killer.
/// Defaults: half of the physical memory the process may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>,
/// which honours container limits) for the pool and the intermediates, and as many tensor elements as that budget holds
/// float32 values. The environment variable <c>TESSERA_MAX_MEMORY</c> (bytes, with an optional K/M/G/T suffix, binary:
/// "512M", "4GiB") sets the budget instead, <c>TESSERA_MAX_TENSOR_ELEMENTS</c> the element limit; the CLI's
/// <c>--max-memory</c> sets the budget for one run.
/// </summary>
public sealed record MemoryLimits
{
    /// <summary>The environment variable giving the memory budget in bytes.</summary>
    public const string MemoryVariable = "TESSERA_MAX_MEMORY";

    /// <summary>The environment variable giving the element limit of one tensor.</summary>
    public const string ElementsVariable = "TESSERA_MAX_TENSOR_ELEMENTS";

    /// <summary>The share of physical memory the default budget takes.</summary>
    public const double DefaultShare = 0.5;

    private static MemoryLimits? _current;

    /// <summary>The most elements one tensor (or graph value) may have.</summary>
    public long MaxTensorElements { get; init; }

    /// <summary>The most bytes one execution plan's intermediates (its arena) may take.</summary>
    public long MaxIntermediateBytes { get; init; }

    /// <summary>The most bytes one memory pool holds from the system, leased and cached together (each pool separately:
    /// a new block that would go beyond it first frees cached blocks; one that the leased bytes alone leave no room for
    /// is refused before the system is asked).</summary>
    public long MaxPoolBytes { get; init; }

    /// <summary>The limits every allocating path checks, read from the environment on first use (see
    /// <see cref="FromEnvironment"/>). Setting it affects the whole process (allocations already made stay); values must
    /// be positive.</summary>
    public static MemoryLimits Current
    {
        get
        {
            var c = Volatile.Read(ref _current);
            if (c is not null) return c;
            Interlocked.CompareExchange(ref _current, FromEnvironment(), null);
            return _current!;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate("MemoryLimits.Current");
            Volatile.Write(ref _current, value);
        }
    }

    /// <summary>The physical memory the process may use (container limits included), in bytes.</summary>
    public static long PhysicalMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Limits for a memory budget: pool and intermediates at <paramref name="bytes"/>, tensors at as many
    /// elements as the budget holds float32 values.</summary>
    public static MemoryLimits ForMemory(long bytes)
    {
        if (bytes <= 0) throw new TesseraArgumentException("MemoryLimits.ForMemory", nameof(bytes), $"must be positive, got {bytes}");
        return new MemoryLimits
        {
            MaxPoolBytes = bytes,
            MaxIntermediateBytes = bytes,
            MaxTensorElements = Math.Clamp(bytes / sizeof(float), 1, Shape.MaxElements),
        };
    }

    /// <summary>The default limits: the environment variables when set (an unreadable value is an error naming the
    /// variable), else <see cref="DefaultShare"/> of <see cref="PhysicalMemory"/>.</summary>
    public static MemoryLimits FromEnvironment()
    {
        string? memory = Environment.GetEnvironmentVariable(MemoryVariable);
        var limits = ForMemory(string.IsNullOrWhiteSpace(memory)
            ? Math.Max(1L << 20, (long)(PhysicalMemory * DefaultShare))
            : ParseBytes(memory, "MemoryLimits", MemoryVariable));
        string? elements = Environment.GetEnvironmentVariable(ElementsVariable);
        if (!string.IsNullOrWhiteSpace(elements))
        {
            if (!long.TryParse(elements.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new TesseraArgumentException("MemoryLimits", ElementsVariable, $"'{elements}' is not a positive element count");
            limits = limits with { MaxTensorElements = n };
        }
        return limits;
    }

    /// <summary>A byte count written as digits with an optional binary suffix: K, M, G, T (also KB, KiB, ...); "1.5G"
    /// is allowed. Anything else, zero or a negative value is an error naming <paramref name="argument"/>.</summary>
    public static long ParseBytes(string text, string op, string argument)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        int end = t.Length;
        while (end > 0 && char.IsLetter(t[end - 1])) end--;
        string unit = t[end..].ToUpperInvariant();
        int shift = unit switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0 || !double.TryParse(t[..end].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
            throw new TesseraArgumentException(op, argument, $"'{text}' is not a size (bytes with an optional K, M, G or T suffix, e.g. 4G)");
        double bytes = value * (1L << shift);
        if (!(bytes >= 1) || bytes >= long.MaxValue)
            throw new TesseraArgumentException(op, argument, $"'{text}' must be at least 1 byte and below 2^63");
        return (long)bytes;
    }

    /// <summary>Refuses a tensor (or graph value) of <paramref name="shape"/> and <paramref name="dtype"/> beyond the
    /// limits, before anything is allocated: more than <see cref="MaxTensorElements"/> elements is a
    /// <see cref="TesseraShapeException"/>, more bytes than <see cref="MaxPoolBytes"/> a
    /// <see cref="TesseraOutOfMemoryException"/>; both name <paramref name="op"/> and <paramref name="argument"/>.</summary>
    public void CheckTensor(string op, string argument, Shape shape, DType dtype)
    {
        long n = shape.ElementCount;
        if (n > MaxTensorElements)
            throw new TesseraShapeException(op, argument, $"{shape} {dtype}: {n} elements exceed the limit of {MaxTensorElements} " +
                $"(MemoryLimits.MaxTensorElements; {ElementsVariable}, {MemoryVariable} or --max-memory raise it)");
        long bytes = SizeMath.Bytes(op, argument, n, dtype.SizeOf());
        if (bytes > MaxPoolBytes)
            throw new TesseraOutOfMemoryException(op, $"argument '{argument}': {shape} {dtype} takes {bytes} bytes, over the memory limit " +
                $"of {MaxPoolBytes} (MemoryLimits.MaxPoolBytes; {MemoryVariable} or --max-memory raise it)");
    }

    /// <summary>Refuses a plan whose intermediates take more than <see cref="MaxIntermediateBytes"/>, before its arena is
    /// allocated.</summary>
    public void CheckIntermediates(string op, long bytes)
    {
        if (bytes > MaxIntermediateBytes)
            throw new TesseraOutOfMemoryException(op, $"the intermediates take {bytes} bytes, over the limit of {MaxIntermediateBytes} " +
                $"(MemoryLimits.MaxIntermediateBytes; {MemoryVariable} or --max-memory raise it)");
    }

    private void Validate(string op)
    {
        if (MaxTensorElements <= 0) throw new TesseraArgumentException(op, nameof(MaxTensorElements), $"must be positive, got {MaxTensorElements}");
        if (MaxIntermediateBytes <= 0) throw new TesseraArgumentException(op, nameof(MaxIntermediateBytes), $"must be positive, got {MaxIntermediateBytes}");
        if (MaxPoolBytes <= 0) throw new TesseraArgumentException(op, nameof(MaxPoolBytes), $"must be positive, got {MaxPoolBytes}");
    }
}
