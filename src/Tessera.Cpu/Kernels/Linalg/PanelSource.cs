using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>Where <see cref="Sgemm"/> reads its B operand (k×n) from: packing into NR-column panels, and single
/// elements for the tiny-product path. Implemented by structs so the JIT specialises the GEMM per source.</summary>
internal unsafe interface IPanelSource
{
    /// <summary>dst[p·NR + j] = B(p0 + p, j0 + j) for p in [0, kc), j in [0, cols); columns [cols, NR) are zero.</summary>
    void Pack(int p0, int kc, int j0, int cols, float* dst);

    /// <summary>B(p, j).</summary>
    float At(int p, int j);
}

/// <summary>B as a strided matrix: B(p, j) = b[p·rowStride + j·colStride] (covers transposed and sliced views).</summary>
internal readonly unsafe struct StridedPanels(float* b, long rowStride, long colStride) : IPanelSource
{
    private readonly nint _b = (nint)b;

    public float At(int p, int j) => ((float*)_b)[p * rowStride + j * colStride];

    public void Pack(int p0, int kc, int j0, int cols, float* dst)
    {
        const int NR = Sgemm.NR;
        float* b = (float*)_b + p0 * rowStride + j0 * colStride;
        if (colStride == 1)
        {
            if (cols == NR)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + p * rowStride;
                    float* d = dst + p * NR;
                    if (Vector512.IsHardwareAccelerated)
                    {
                        Vector512.Store(Vector512.Load(src), d);
                        Vector512.Store(Vector512.Load(src + 16), d + 16);
                    }
                    else Buffer.MemoryCopy(src, d, NR * sizeof(float), NR * sizeof(float));
                }
                return;
            }
            for (int p = 0; p < kc; p++)
            {
                float* src = b + p * rowStride;
                float* d = dst + p * NR;
                int j = 0;
                for (; j < cols; j++) d[j] = src[j];
                for (; j < NR; j++) d[j] = 0f;
            }
            return;
        }
        if (cols < NR) new Span<float>(dst, NR * kc).Clear();
        for (int j = 0; j < cols; j++)
        {
            float* src = b + j * colStride;
            float* d = dst + j;
            if (rowStride == 1) for (int p = 0; p < kc; p++) d[p * NR] = src[p];
            else for (int p = 0; p < kc; p++) d[p * NR] = src[p * rowStride];
        }
    }
}
