using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>What <see cref="Sgemm"/> applies to each finished tile of C while it is in cache:
/// C(i, j) ← act(C(i, j) + bias + residual(i, j)), the bias per row (bias[i], a convolution's output channel) or per
/// column (bias[j], a layer's bias [N]), rows and columns counted from the C the product was called with, and the
/// residual dense in C's layout (see <see cref="EpilogueMath{TAct}"/>). The default applies nothing.</summary>
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

    /// <summary>Applies the epilogue to the rows × cols block of C whose element (0, 0) is C(row0, col0), at
    /// <paramref name="tile"/> with row stride <paramref name="ldc"/>.</summary>
    public void Apply(float* tile, long ldc, int row0, int col0, int rows, int cols)
    {
        if (!IsActive || rows <= 0 || cols <= 0) return;
        var visit = new TileVisit(this, tile, ldc, row0, col0, rows, cols);
        UnaryDispatch.Visit(_activation, _params, ref visit);
    }

    private readonly struct TileVisit(GemmEpilogue e, float* tile, long ldc, int row0, int col0, int rows, int cols) : IUnaryMathVisitor
    {
        public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath
        {
            // The residual sits at a fixed offset from C: taken at C's element (0, 0), it holds for every element.
            var m = new EpilogueMath<TMath>(math, e._residual, e._c);
            bool rowBias = e._bias != null && e._biasPerRow;
            float* columnBias = e._bias != null && !e._biasPerRow ? e._bias + col0 : null;
            for (int r = 0; r < rows; r++)
            {
                var body = new EpilogueBody<TMath>(m, tile + r * ldc, rowBias, rowBias ? e._bias[row0 + r] : 0f, columnBias);
                ElementLoop.Run(ref body, 0, cols);
            }
        }
    }
}
