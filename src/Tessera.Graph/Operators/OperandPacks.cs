using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Operands of a plan's nodes that the kernels packed into their own layout on the node's first run
/// (<see cref="IOperandPacking"/>) and that later runs read as they are. Only inputs that are graph constants are packed:
/// a constant's tensor is fixed once the graph is built (the optimizer folds it too), while a parameter changes with
/// every optimizer step and is always read afresh. One cache per plan (its <see cref="ExecContext"/>), disposed with it,
/// so the packs live as long as the plan. A pack is kept with the tensor it was made from and made again if the node
/// ever sees another tensor there.</summary>
public sealed class OperandPacks : IDisposable
{
    private readonly Dictionary<(Node Node, int Input), Entry> _packs = new();
    private bool _enabled = true;

    private sealed record Entry(Tensor Source, IPackedOperand? Pack);

    /// <summary>Whether nodes pack their constant operands (on by default). Turning it off disposes the packs, and the
    /// kernels pack operands on every call again (less memory: a packed weight is a second copy of it).</summary>
    public bool Enabled
    {
        get => _enabled;
        set
        {
            _enabled = value;
            if (!value) Clear();
        }
    }

    /// <summary>Operands packed.</summary>
    public int Count => _packs.Values.Count(e => e.Pack is not null);

    /// <summary>Bytes the packs hold.</summary>
    public long Bytes => _packs.Values.Sum(e => e.Pack?.Bytes ?? 0);

    /// <summary>The packed form of input <paramref name="input"/> (bound to <paramref name="tensor"/>) of the node that is
    /// running in <paramref name="ctx"/>, made by <paramref name="pack"/> from <paramref name="state"/> on the first
    /// call, or null: packing off, no node running, kernels that do not pack, an input that is no constant, or kernels
    /// that read this operand as it is. <paramref name="pack"/> should be a static lambda: nothing is allocated once the
    /// pack exists.</summary>
    public IPackedOperand? Get<TState>(ExecContext ctx, int input, Tensor tensor, TState state, Func<IOperandPacking, TState, IPackedOperand?> pack)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(pack);
        var node = ctx.Node;
        if (!_enabled || node is null || ctx.Kernels is not IOperandPacking kernels || node.Inputs[input].Kind != ValueKind.Constant) return null;
        if (_packs.TryGetValue((node, input), out var e))
        {
            if (ReferenceEquals(e.Source, tensor)) return e.Pack;
            _packs.Remove((node, input));
            e.Pack?.Dispose();
        }
        var made = pack(kernels, state);
        _packs[(node, input)] = new Entry(tensor, made);
        return made;
    }

    private void Clear()
    {
        foreach (var e in _packs.Values) e.Pack?.Dispose();
        _packs.Clear();
    }

    /// <summary>Disposes every pack.</summary>
    public void Dispose() => Clear();
}
