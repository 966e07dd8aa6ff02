namespace Tessera;

/// <summary>Gradients of <see cref="Ops.MultiHeadAttention"/> with respect to every input, weight and bias (bias
/// gradients are null where the bias was). For self-attention (xq = xk = xv) the input gradient is DXq + DXk + DXv.
/// Disposing this disposes every gradient.</summary>
public sealed class MultiHeadAttentionGradients : IDisposable
{
    internal MultiHeadAttentionGradients(Tensor dxq, Tensor dxk, Tensor dxv, Tensor dwq, Tensor dwk, Tensor dwv, Tensor dwo,
        Tensor? dbq, Tensor? dbk, Tensor? dbv, Tensor? dbo)
    {
        DXq = dxq; DXk = dxk; DXv = dxv; DWq = dwq; DWk = dwk; DWv = dwv; DWo = dwo; DBq = dbq; DBk = dbk; DBv = dbv; DBo = dbo;
    }

    /// <summary>The gradient with respect to the query input xq.</summary>
    public Tensor DXq { get; }
    /// <summary>The gradient with respect to the key input xk.</summary>
    public Tensor DXk { get; }
    /// <summary>The gradient with respect to the value input xv.</summary>
    public Tensor DXv { get; }
    /// <summary>The gradient with respect to the query projection's weight.</summary>
    public Tensor DWq { get; }
    /// <summary>The gradient with respect to the key projection's weight.</summary>
    public Tensor DWk { get; }
    /// <summary>The gradient with respect to the value projection's weight.</summary>
    public Tensor DWv { get; }
    /// <summary>The gradient with respect to the output projection's weight.</summary>
    public Tensor DWo { get; }
    /// <summary>The gradient with respect to the query projection's bias; null where there was none.</summary>
    public Tensor? DBq { get; }
    /// <summary>The gradient with respect to the key projection's bias; null where there was none.</summary>
    public Tensor? DBk { get; }
    /// <summary>The gradient with respect to the value projection's bias; null where there was none.</summary>
    public Tensor? DBv { get; }
    /// <summary>The gradient with respect to the output projection's bias; null where there was none.</summary>
    public Tensor? DBo { get; }

    /// <summary>Disposes every gradient.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { DXq, DXk, DXv, DWq, DWk, DWv, DWo, DBq, DBk, DBv, DBo }) t?.Dispose();
    }
}
