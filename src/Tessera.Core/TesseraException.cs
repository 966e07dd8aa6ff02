namespace Tessera;

/// <summary>The root of every error Tessera raises on purpose. <see cref="Op"/> names the operation that refused.</summary>
public class TesseraException : Exception
{
    /// <summary>An error raised by <paramref name="op"/>; the message reads "op: message".</summary>
    public TesseraException(string op, string message, Exception? inner = null)
        : base($"{op}: {message}", inner) => Op = op;

    /// <summary>The operation (or API) that raised the error.</summary>
    public string Op { get; }
}

/// <summary>An argument is invalid (value out of range, wrong count, absurd size).</summary>
public class TesseraArgumentException : TesseraException
{
    /// <summary>An invalid argument of <paramref name="op"/>; the message reads "op: argument 'argument': message".</summary>
    public TesseraArgumentException(string op, string argument, string message)
        : base(op, $"argument '{argument}': {message}") => Argument = argument;

    /// <summary>The name of the argument that was refused.</summary>
    public string Argument { get; }
}

/// <summary>Shapes do not agree (rank, dimensions, broadcast).</summary>
public sealed class TesseraShapeException : TesseraArgumentException
{
    /// <summary>An argument of <paramref name="op"/> whose shape is refused.</summary>
    public TesseraShapeException(string op, string argument, string message) : base(op, argument, message) { }
}

/// <summary>An element type is not accepted by an operation.</summary>
public sealed class TesseraDTypeException : TesseraArgumentException
{
    /// <summary>An argument of <paramref name="op"/> whose element type is refused.</summary>
    public TesseraDTypeException(string op, string argument, string message) : base(op, argument, message) { }
}

/// <summary>Tensors live on different devices, or the device cannot run the operation.</summary>
public sealed class TesseraDeviceException : TesseraArgumentException
{
    /// <summary>An argument of <paramref name="op"/> on the wrong device.</summary>
    public TesseraDeviceException(string op, string argument, string message) : base(op, argument, message) { }
}

/// <summary>An axis is outside [-rank, rank).</summary>
public sealed class TesseraAxisException : TesseraArgumentException
{
    /// <summary>An axis argument of <paramref name="op"/> out of range.</summary>
    public TesseraAxisException(string op, string argument, string message) : base(op, argument, message) { }
}

/// <summary>A tensor, buffer or device was used after it was disposed.</summary>
public sealed class TesseraDisposedException : TesseraException
{
    /// <summary><paramref name="what"/> was used by <paramref name="op"/> after it was disposed.</summary>
    public TesseraDisposedException(string op, string what) : base(op, $"{what} was used after it was disposed") { }
}

/// <summary>A memory pool could not satisfy a request.</summary>
public sealed class TesseraOutOfMemoryException : TesseraException
{
    /// <summary><paramref name="op"/> could not get the memory it needs.</summary>
    public TesseraOutOfMemoryException(string op, string message) : base(op, message) { }
}

/// <summary>A backend (native library, driver, device) is missing or failed.</summary>
public sealed class TesseraBackendException : TesseraException
{
    /// <summary>A backend failure in <paramref name="op"/>, with the native error in the message or in <paramref name="inner"/>.</summary>
    public TesseraBackendException(string op, string message, Exception? inner = null) : base(op, message, inner) { }
}

/// <summary>A value that should be finite holds NaN or ±∞ (the numerics check of the graph executor).</summary>
public sealed class TesseraNumericsException : TesseraException
{
    /// <summary><paramref name="op"/> found a NaN or an infinity.</summary>
    public TesseraNumericsException(string op, string message) : base(op, message) { }
}
