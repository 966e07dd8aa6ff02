using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Norm;

/// <summary>The row and column primitives of the normalisation kernels over contiguous float spans, each one run of a
/// driver (<see cref="ElementLoop"/>, <see cref="RowReduce"/>, <see cref="Drivers"/>) with a math functor or a body
/// from NormBodies.cs / NormMath.cs. Results do not depend on the vector width (see <see cref="VectorWidth"/>).</summary>
internal static unsafe class NormRows
{
    /// <summary>Σ x.</summary>
    public static float Sum(float* x, int n) => RowReduce.Run(new SumReduce(), x, n);

    /// <summary>Σ (x − m)².</summary>
    public static float SumSqDev(float* x, int n, float m) => RowReduce.Run(new SquaredDeviationMath(m), new SumReduce(), x, null, n);

    /// <summary>Σ g and Σ g·(x − m) with g = dy·γ (γ optional: a null pointer).</summary>
    public static void CenteredSums(float* dy, float* gamma, float* x, int n, float m, out float sumG, out float sumGXc)
    {
        var body = new CenteredSumsBody(dy, gamma, x, m);
        sumG = RowReduce.Run(ref body, new SumReduce(), n, out sumGXc);
    }

    /// <summary>y = x·a + b.</summary>
    public static void ScaleShift(float* x, float* y, int n, float a, float b) => Drivers.Map(new AffineMath(a, b), x, y, n);

    /// <summary>r = α·u + β·(w − c) + γ.</summary>
    public static void Combine(float* u, float* w, float* r, int n, float alpha, float beta, float c, float gamma) =>
        Drivers.Map(new CombineMath(alpha, beta, c, gamma), u, w, r, n);

    /// <summary>y = (x − m)·r·γ + β (γ, β optional). With <paramref name="nonTemporal"/>, y is streamed past the cache
    /// from its first 64-byte-aligned element; the caller calls <see cref="ElementLoop.StoreFence"/> before the data is
    /// shared.</summary>
    public static void AffineNormalize(float* x, float* y, float* gamma, float* beta, int n, float m, float r, bool nonTemporal)
    {
        var body = new AffineNormalizeBody(x, y, gamma, beta, m, r);
        ElementLoop.Run(ref body, 0, n, nonTemporal);
    }

    /// <summary>dx = dy·γ·r − c1 − (x − m)·c2 (γ optional), and in the same pass dγ += dy·(x − m)·r and dβ += dy where
    /// those pointers are not null.</summary>
    public static void LayerNormBackwardDx(float* x, float* dy, float* gamma, float* dx, float* dgamma, float* dbeta,
        int n, float m, float r, float c1, float c2)
    {
        var body = new LayerNormDxBody(x, dy, gamma, dx, dgamma, dbeta, m, r, c1, c2);
        ElementLoop.Run(ref body, 0, n);
    }

    // Column-wise primitives for batch norm on inputs with a small spatial size ([N, C] and the like): the per-column
    // coefficients are arrays, so a row of C·S values is processed with full-width vectors.

    /// <summary>acc += x (element-wise).</summary>
    public static void AddInto(float* acc, float* x, int n) => Drivers.Map(new AddMath(), acc, x, acc, n);

    /// <summary>acc += (x − center)² element-wise.</summary>
    public static void AddSqDevInto(float* acc, float* x, float* center, int n) =>
        Drivers.Map(new AddSquaredDeviationMath(), acc, x, center, acc, n);

    /// <summary>sumDy += dy; sumDyXc += dy·(x − center), element-wise.</summary>
    public static void AddDyAndCenteredProdInto(float* sumDy, float* sumDyXc, float* dy, float* x, float* center, int n)
    {
        var body = new ColumnGradSumsBody(sumDy, sumDyXc, dy, x, center);
        ElementLoop.Run(ref body, 0, n);
    }

    /// <summary>y = x·a + b with per-element coefficient arrays.</summary>
    public static void MulAddCols(float* x, float* a, float* b, float* y, int n) => Drivers.Map(new MulAddMath(), x, a, b, y, n);

    /// <summary>r = α·u + β·(w − c) + γ with per-element coefficient arrays.</summary>
    public static void CombineCols(float* u, float* w, float* r, int n, float* alpha, float* beta, float* c, float* gamma)
    {
        var body = new CombineColumnsBody(u, w, r, alpha, beta, c, gamma);
        ElementLoop.Run(ref body, 0, n);
    }
}
