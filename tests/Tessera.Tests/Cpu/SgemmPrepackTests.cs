using Tessera.Cpu;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cpu;

/// <summary>SGEMM reading A and/or B packed beforehand (<see cref="Sgemm.PackWholeA"/>, <see cref="Sgemm.PackWholeB"/>)
/// computes the same bits as packing them during the call, with every micro-kernel, across the depth (KC), row-slab
/// and column-block (NC) boundaries of the packed layout, with strided (transposed) operands and β.</summary>
public class SgemmPrepackTests
{
    public static TheoryData<string, int, int, int, bool, bool> Cases()
    {
        var d = new TheoryData<string, int, int, int, bool, bool>();
        foreach (var isa in new[] { "Scalar", "Vector256", "Vector512" })
        {
            d.Add(isa, 40, 70, 600, false, false);   // K crosses KC; m not a multiple of MR
            d.Add(isa, 13, 33, 17, true, true);      // transposed A and B
            d.Add(isa, 6, 32, 1100, false, true);    // three depth blocks
        }
        d.Add("Vector256", 3100, 40, 9, false, false);   // rows beyond one slab (MSlab = 3072)
        d.Add("Vector256", 14, 4200, 20, false, false);  // columns beyond one block (NC = 4096)
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void PrepackedOperandsGiveTheSameBits(string isaName, int m, int n, int k, bool ta, bool tb)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        Requirement.Require(isa != GemmIsa.Vector512 || Sgemm.Isa == GemmIsa.Vector512, "Vector512 micro-kernel needs AVX-512");
        Requirement.Require(isa != GemmIsa.Vector256 || Sgemm.Isa != GemmIsa.Scalar, "Vector256 micro-kernel needs AVX2+FMA");
        var pool = TestDevices.Cpu.Memory;
        using var a = Rand.Uniform(21, ta ? [k, m] : [m, k]).ToDevice(TestDevices.Cpu);
        using var b = Rand.Uniform(22, tb ? [n, k] : [k, n]).ToDevice(TestDevices.Cpu);
        var c0 = Rand.Uniform(23, [m, n]).Data.Select(v => (float)v).ToArray();
        long ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
        var source = new StridedPanels(b.F32(), brs, bcs);
        using var pa = new PackedMatrices(pool, GemmOperand.A, 1, m, k);
        using var pb = new PackedMatrices(pool, GemmOperand.B, 1, n, k);
        Sgemm.PackWholeA(m, k, a.F32(), ars, acs, pa[0]);
        Sgemm.PackWholeB(n, k, source, pb[0]);

        float[] Product(Prepacked packed)
        {
            var c = (float[])c0.Clone();
            fixed (float* pc = c)
                Sgemm.Run(isa, pool, 1, m, n, k, 1.5f, a.F32(), ars, acs, source, 0.5f, pc, n, default, packed);
            return c;
        }

        var expected = Product(default);
        Assert.Equal(expected, Product(new Prepacked(pa[0], null)));
        Assert.Equal(expected, Product(new Prepacked(null, pb[0])));
        Assert.Equal(expected, Product(new Prepacked(pa[0], pb[0])));
    }

    /// <summary>One row of C against a prepacked B (the public entry's m = 1 path, which streams the packed panels)
    /// gives the packed product's bits: partial last panels, several depth blocks, β.</summary>
    [Theory]
    [InlineData(70, 600)]
    [InlineData(1152, 48)]
    [InlineData(33, 1100)]
    public unsafe void A_row_times_a_prepacked_matrix_gives_the_products_bits(int n, int k)
    {
        Requirement.Require(Sgemm.Isa == GemmIsa.Vector512, "the packed row product runs with the 512-bit micro-kernel");
        var pool = TestDevices.Cpu.Memory;
        using var a = Rand.Uniform(31, [1, k]).ToDevice(TestDevices.Cpu);
        using var b = Rand.Uniform(32, [n, k]).ToDevice(TestDevices.Cpu);   // a weight [n, k], read as B = wᵀ
        var c0 = Rand.Uniform(33, [1, n]).Data.Select(v => (float)v).ToArray();
        var source = new StridedPanels(b.F32(), 1, k);
        using var pb = new PackedMatrices(pool, GemmOperand.B, 1, n, k);
        Sgemm.PackWholeB(n, k, source, pb[0]);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        fixed (float* pe = expected, pc = actual)
        {
            Sgemm.Run(GemmIsa.Vector512, pool, 1, 1, n, k, 1.5f, a.F32(), k, 1, source, 0.5f, pe, n, default, new Prepacked(null, pb[0]));
            Sgemm.Run(pool, 1, 1, n, k, 1.5f, a.F32(), k, 1, b.F32(), 1, k, 0.5f, pc, n, default, new Prepacked(null, pb[0]));
        }
        Assert.Equal(expected, actual);
    }

    /// <summary>One column of C (n = 1: a layer on a 1×1 map with fewer outputs than a panel) as dot products, with
    /// β and a fused epilogue (row bias, sigmoid), against the product in double; on two threads, blocks of rows.</summary>
    [Theory]
    [InlineData(28, 672, 1)]
    [InlineData(300, 1200, 2)]
    public unsafe void A_matrix_times_a_column_matches_the_product(int m, int k, int threads)
    {
        var pool = TestDevices.Cpu.Memory;
        var ra = Rand.Uniform(41, [m, k]);
        var rb = Rand.Uniform(42, [k, 1]);
        var rbias = Rand.Uniform(43, [m]);
        var c0 = Rand.Uniform(44, [m, 1]).Data.Select(v => (float)v).ToArray();
        using var a = ra.ToDevice(TestDevices.Cpu);
        using var b = rb.ToDevice(TestDevices.Cpu);
        using var bias = rbias.ToDevice(TestDevices.Cpu);
        var c = (float[])c0.Clone();
        fixed (float* pc = c)
        {
            var epilogue = new GemmEpilogue(new Tessera.Kernels.Epilogue(Tessera.Kernels.UnaryOp.Sigmoid), bias.F32(), true, null, pc);
            Sgemm.Run(pool, threads, m, 1, k, 1.5f, a.F32(), k, 1, b.F32(), 1, 1, 0.5f, pc, 1, epilogue);
        }
        for (int i = 0; i < m; i++)
        {
            double dot = 0;
            for (int p = 0; p < k; p++) dot += ra.Data[i * k + p] * rb.Data[p];
            double z = 1.5 * dot + 0.5 * c0[i] + rbias.Data[i], expected = 1 / (1 + Math.Exp(-z));
            Assert.True(Math.Abs(c[i] - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"row {i}: {c[i]}, expected {expected}");
        }
    }
}
