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

    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
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

    /// <summary>Registers a new tensor with the innermost scope; returns that scope (or null).</summary>
    internal static TensorScope? Track(Tensor t)
    {
        var s = _current;
        s?._owned.Add(t);
        return s;
    }

    /// <summary>Called when a tracked tensor is disposed early, so that long-lived scopes do not accumulate dead tensors.</summary>
    internal void Forget(Tensor t) => _owned.Remove(t);

    /// <summary>Stops owning <paramref name="t"/>: the caller disposes it.</summary>
    public Tensor Detach(Tensor t)
    {
        _owned.Remove(t);
        t.Scope = null;
        return t;
    }

    /// <summary>Hands <paramref name="t"/> to the enclosing scope (or to the caller when there is none).</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        _owned.Remove(t);
        _outer?._owned.Add(t);
        t.Scope = _outer;
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var owned = _owned.ToArray();
        _owned.Clear();
        foreach (var t in owned) t.Dispose();
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
