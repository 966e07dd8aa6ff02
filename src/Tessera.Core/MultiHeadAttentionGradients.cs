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

    public Tensor DXq { get; }
    public Tensor DXk { get; }
    public Tensor DXv { get; }
    public Tensor DWq { get; }
    public Tensor DWk { get; }
    public Tensor DWv { get; }
    public Tensor DWo { get; }
    public Tensor? DBq { get; }
    public Tensor? DBk { get; }
    public Tensor? DBv { get; }
    public Tensor? DBo { get; }

    public void Dispose()
    {
        foreach (var t in new[] { DXq, DXk, DXv, DWq, DWk, DWv, DWo, DBq, DBk, DBv, DBo }) t?.Dispose();
    }
}
