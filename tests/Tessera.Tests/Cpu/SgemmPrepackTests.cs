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
}
