namespace Tessera.Graph.Operators;

/// <summary>Views of a plan's tensors that its ops make on their first run and reuse after (no allocation per run):
/// a slice, a permutation, a broadcast, a reshape to rows. Each view holds a reference to its tensor's storage, so the
/// cache belongs to the run's <see cref="ExecContext"/> — one per plan — and is disposed with it: the views let go of
/// the plan's tensors when the plan goes, and two plans of one graph (on two threads) never share a cache. Keys are the
/// op, the tensor (by reference) and a small number the op chooses (the piece of a split, the row width).</summary>
public sealed class ViewCache : IDisposable
{
    private readonly Dictionary<Key, Tensor> _views = new();

    private readonly record struct Key(GraphOp Op, Tensor Tensor, int Slot)
    {
        public bool Equals(Key other) => ReferenceEquals(Op, other.Op) && ReferenceEquals(Tensor, other.Tensor) && Slot == other.Slot;

        public override int GetHashCode() =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Op), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Tensor), Slot);
    }

    /// <summary>Views the cache holds.</summary>
    public int Count => _views.Count;

    /// <summary>The view <paramref name="op"/> cached for <paramref name="tensor"/> in <paramref name="slot"/>, or null.</summary>
    public Tensor? Get(GraphOp op, Tensor tensor, int slot = 0) => _views.GetValueOrDefault(new Key(op, tensor, slot));

    /// <summary>Caches <paramref name="view"/> (which the cache now owns) and returns it.</summary>
    public Tensor Add(GraphOp op, Tensor tensor, int slot, Tensor view)
    {
        _views.Add(new Key(op, tensor, slot), view);
        return view;
    }

    /// <summary><paramref name="tensor"/> (contiguous, last dimension <paramref name="cols"/>) viewed as [rows, cols].</summary>
    public Tensor Rows(GraphOp op, Tensor tensor, int cols)
    {
        if (tensor.Rank == 2 && tensor.Shape[1] == cols) return tensor;
        return Get(op, tensor, cols) ?? Add(op, tensor, cols, tensor.Reshape(-1, cols));
    }

    /// <summary>Disposes every view.</summary>
    public void Dispose()
    {
        foreach (var v in _views.Values) v.Dispose();
        _views.Clear();
    }
}
