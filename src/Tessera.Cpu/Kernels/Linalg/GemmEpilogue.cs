using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>The fused epilogue of one <see cref="Sgemm"/> call, as the caller describes it at run time:
/// C(i, j) ← act(C(i, j) + bias + residual(i, j)), the bias per row (bias[i], a convolution's output channel) or per
/// column (bias[j], a layer's bias [N]), rows and columns counted from the C the product was called with, and the
/// residual dense in C's layout. <see cref="WithStore"/> picks the activation's functor once and hands the
/// micro-kernels an <see cref="EpilogueStore{TAct}"/>. The default applies nothing.</summary>
internal readonly unsafe struct GemmEpilogue
{
    private readonly UnaryOp _activation;
    private readonly UnaryParams _params;
    private readonly float* _bias, _residual, _c;
    private readonly bool _biasPerRow;

    /// <param name="e">The activation.</param>
    /// <param name="bias">Row or column bias, or null.</param>
    /// <param name="biasPerRow">Whether the bias is indexed by row (else by column).</param>
    /// <param name="residual">The residual's element for C's element (0, 0), or null.</param>
    /// <param name="c">C's element (0, 0).</param>
    public GemmEpilogue(Epilogue e, float* bias, bool biasPerRow, float* residual, float* c)
    {
        _activation = e.Activation;
        _params = e.Params;
        _bias = bias;
        _biasPerRow = biasPerRow;
        _residual = residual;
        _c = c;
        IsActive = !e.IsNone || bias != null || residual != null;
    }

    /// <summary>False for the default (nothing to apply).</summary>
    public bool IsActive { get; }

    /// <summary>Calls <paramref name="visitor"/> with the store of this epilogue, positioned on C's element (0, 0).</summary>
    public void WithStore<TVisitor>(ref TVisitor visitor) where TVisitor : struct, ITileStoreVisitor
    {
        var pick = new Pick<TVisitor>(this, visitor);
        UnaryDispatch.Visit(_activation, _params, ref pick);
    }

    /// <summary>Applies the epilogue in place to the rows × cols block of C whose element (0, 0) is C(row0, col0), at
    /// <paramref name="tile"/> with row stride <paramref name="ldc"/> (paths that store C without the micro-kernels).</summary>
    public void Apply(float* tile, long ldc, int row0, int col0, int rows, int cols)
    {
        if (!IsActive || rows <= 0 || cols <= 0) return;
        var finish = new Finish(tile, ldc, row0, col0, rows, cols);
        WithStore(ref finish);
    }

    private readonly struct Pick<TVisitor>(GemmEpilogue g, TVisitor visitor) : IUnaryMathVisitor where TVisitor : struct, ITileStoreVisitor
    {
        public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath
        {
            // The residual sits at a fixed offset from C: taken at C's element (0, 0), it holds for every element.
            var e = new EpilogueMath<TMath>(math, g._residual, g._c);
            float* bias = g._bias;
            visitor.Visit(new EpilogueStore<TMath>(e, g._biasPerRow ? bias : null, g._biasPerRow ? null : bias));
        }
    }

    private readonly struct Finish(float* tile, long ldc, int row0, int col0, int rows, int cols) : ITileStoreVisitor
    {
        public void Visit<TStore>(TStore store) where TStore : struct, ITileStore<TStore> => store.At(row0, col0).Finish(tile, ldc, rows, cols);
    }
}
