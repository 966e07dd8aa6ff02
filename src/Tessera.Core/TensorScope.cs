namespace Tessera;

/// <summary>A disposal scope for eager code: every tensor created on this thread while the scope is the innermost
/// one is disposed with the scope, unless detached with <see cref="Detach"/> or moved out with
/// <see cref="MoveToOuter"/>.</summary>
/// <example><code>
/// using (var scope = TensorScope.Begin())
/// {
///     var h = Ops.Relu(Ops.MatMul(x, w));   // intermediates die with the scope
///     result = scope.MoveToOuter(Ops.Sum(h));
/// }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly List<Tensor> _owned = new();
    private readonly TensorScope? _outer;
    private bool _disposed;

    private TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>The innermost scope on this thread, if any.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Opens a scope that becomes the innermost one on this thread.</summary>
    public static TensorScope Begin()
    {
        var s = new TensorScope(_current);
        _current = s;
        return s;
    }

    /// <summary>Number of tensors the scope owns.</summary>
    public int Count => _owned.Count;

    internal static void Track(Tensor t) => _current?._owned.Add(t);

    /// <summary>Stops owning <paramref name="t"/>: the caller disposes it.</summary>
    public Tensor Detach(Tensor t)
    {
        _owned.Remove(t);
        return t;
    }

    /// <summary>Hands <paramref name="t"/> to the enclosing scope (or to the caller when there is none).</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        _owned.Remove(t);
        _outer?._owned.Add(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
