namespace Tessera;

/// <summary>A disposal scope for eager code: every tensor created on this thread while the scope is the innermost
/// one is disposed with the scope, unless detached with <see cref="Detach"/> or moved out with
/// <see cref="MoveToOuter"/>. Nesting is per thread (<see cref="Begin"/> makes the scope the innermost one of the
/// calling thread); ownership is thread-safe: a tensor may be disposed, detached or moved on any thread, and a scope
/// disposed on another thread than its own disposes its tensors and takes no new ones (its thread goes on with the
/// enclosing scope).</summary>
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
    private readonly object _gate = new();
    private readonly TensorScope? _outer;
    private bool _disposed;

    private TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>The innermost scope on this thread that is not disposed, if any.</summary>
    public static TensorScope? Current
    {
        get
        {
            var s = _current;
            while (s is not null && s.IsDisposed) s = s._outer;
            _current = s;
            return s;
        }
    }

    /// <summary>Opens a scope that becomes the innermost one on this thread.</summary>
    public static TensorScope Begin()
    {
        var s = new TensorScope(Current);
        _current = s;
        return s;
    }

    /// <summary>Number of tensors the scope owns.</summary>
    public int Count
    {
        get { lock (_gate) return _owned.Count; }
    }

    private bool IsDisposed
    {
        get { lock (_gate) return _disposed; }
    }

    /// <summary>Registers a new tensor with the innermost scope; returns that scope (or null).</summary>
    internal static TensorScope? Track(Tensor t) => Adopt(Current, t);

    /// <summary>Gives <paramref name="t"/> to <paramref name="scope"/>, or to the first enclosing scope that is not
    /// disposed (a scope disposed on another thread meanwhile takes no new tensor); returns the owner or null.</summary>
    private static TensorScope? Adopt(TensorScope? scope, Tensor t)
    {
        for (var s = scope; s is not null; s = s._outer)
            lock (s._gate)
                if (!s._disposed)
                {
                    s._owned.Add(t);
                    return s;
                }
        return null;
    }

    /// <summary>Called when a tracked tensor is disposed early, so that long-lived scopes do not accumulate dead tensors.</summary>
    internal void Forget(Tensor t)
    {
        lock (_gate) _owned.Remove(t);
    }

    /// <summary>Stops owning <paramref name="t"/>: the caller disposes it.</summary>
    public Tensor Detach(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        Forget(t);
        t.Scope = null;
        return t;
    }

    /// <summary>Hands <paramref name="t"/> to the enclosing scope (or to the caller when there is none).</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        Forget(t);
        t.Scope = Adopt(_outer, t);
        return t;
    }

    /// <summary>Ends the scope: disposes every tensor it still owns and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        Tensor[] owned;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            owned = _owned.ToArray();
            _owned.Clear();
        }
        foreach (var t in owned) t.Dispose();
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
