using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference comparisons, select and logical not. Booleans are 0/1 doubles; any non-zero is true on input.
/// Broadcasting follows NumPy (see <see cref="RefElementwise.BroadcastShape"/>).</summary>
public static class RefLogical
{
    /// <summary>The comparison <paramref name="op"/> of <paramref name="a"/> and <paramref name="b"/> with broadcasting: 1 where it holds, 0 elsewhere.</summary>
    public static RefTensor Compare(CompareOp op, RefTensor a, RefTensor b)
    {
        var c = new RefTensor(RefElementwise.BroadcastShape(a.Shape, b.Shape));
        for (long i = 0; i < c.Length; i++)
        {
            var idx = c.Unravel(i);
            c.Data[i] = ScalarMath.Compare(op, a.Data[RefElementwise.BroadcastIndex(a, idx)], b.Data[RefElementwise.BroadcastIndex(b, idx)]) ? 1 : 0;
        }
        return c;
    }

    /// <summary>cond ? a : b, broadcasting all three.</summary>
    public static RefTensor Where(RefTensor cond, RefTensor a, RefTensor b)
    {
        var c = new RefTensor(RefElementwise.BroadcastShape(RefElementwise.BroadcastShape(cond.Shape, a.Shape), b.Shape));
        for (long i = 0; i < c.Length; i++)
        {
            var idx = c.Unravel(i);
            bool take = cond.Data[RefElementwise.BroadcastIndex(cond, idx)] != 0;
            c.Data[i] = take ? a.Data[RefElementwise.BroadcastIndex(a, idx)] : b.Data[RefElementwise.BroadcastIndex(b, idx)];
        }
        return c;
    }

    /// <summary>(da, db) of c = where(cond, a, b): each output gradient goes to the input it was taken from, summed
    /// into the element that was broadcast.</summary>
    public static (RefTensor Da, RefTensor Db) WhereBackward(RefTensor cond, int[] aShape, int[] bShape, RefTensor dc)
    {
        var da = new RefTensor(aShape);
        var db = new RefTensor(bShape);
        for (long i = 0; i < dc.Length; i++)
        {
            var idx = dc.Unravel(i);
            if (cond.Data[RefElementwise.BroadcastIndex(cond, idx)] != 0) da.Data[RefElementwise.BroadcastIndex(da, idx)] += dc.Data[i];
            else db.Data[RefElementwise.BroadcastIndex(db, idx)] += dc.Data[i];
        }
        return (da, db);
    }

    /// <summary>1 where x is 0, else 0.</summary>
    public static RefTensor Not(RefTensor x)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) y.Data[i] = x.Data[i] == 0 ? 1 : 0;
        return y;
    }
}
