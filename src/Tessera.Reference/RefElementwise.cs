using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference element-wise ops in double: the scalar definitions of <see cref="ScalarMath"/> applied element by
/// element. Broadcasting follows NumPy: shapes are right-aligned, size-1 dimensions stretch.</summary>
public static class RefElementwise
{
    /// <summary><paramref name="op"/> of every element of <paramref name="x"/>, with the scalars in <paramref name="p"/>.</summary>
    public static RefTensor Unary(UnaryOp op, RefTensor x, UnaryParams p = default)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) y.Data[i] = ScalarMath.Unary(op, x.Data[i], p);
        return y;
    }

    /// <summary>dx = dy·f'(x).</summary>
    public static RefTensor UnaryBackward(UnaryOp op, RefTensor x, RefTensor dy, UnaryParams p = default)
    {
        var dx = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) dx.Data[i] = dy.Data[i] * ScalarMath.UnaryDerivative(op, x.Data[i], p);
        return dx;
    }

    /// <summary>NumPy broadcast shape.</summary>
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw new ArgumentException("shapes do not broadcast");
            d[i] = da == 1 ? db : da;
        }
        return d;
    }

    /// <summary>Flat index into <paramref name="t"/> of the element that broadcasts to multi-index <paramref name="idx"/>
    /// of the (higher or equal rank) output.</summary>
    public static long BroadcastIndex(RefTensor t, int[] idx)
    {
        int lead = idx.Length - t.Rank;
        long flat = 0;
        for (int i = 0; i < t.Rank; i++) flat = flat * t.Shape[i] + (t.Shape[i] == 1 ? 0 : idx[lead + i]);
        return flat;
    }

    /// <summary><paramref name="op"/> of <paramref name="a"/> and <paramref name="b"/>, element by element with NumPy broadcasting.</summary>
    public static RefTensor Binary(BinaryOp op, RefTensor a, RefTensor b)
    {
        var c = new RefTensor(BroadcastShape(a.Shape, b.Shape));
        for (long i = 0; i < c.Length; i++)
        {
            var idx = c.Unravel(i);
            c.Data[i] = ScalarMath.Binary(op, a.Data[BroadcastIndex(a, idx)], b.Data[BroadcastIndex(b, idx)]);
        }
        return c;
    }

    /// <summary>(da, db): dc times the partial derivatives, summed into the element each output came from.</summary>
    public static (RefTensor Da, RefTensor Db) BinaryBackward(BinaryOp op, RefTensor a, RefTensor b, RefTensor dc)
    {
        var da = new RefTensor(a.Shape);
        var db = new RefTensor(b.Shape);
        for (long i = 0; i < dc.Length; i++)
        {
            var idx = dc.Unravel(i);
            long ia = BroadcastIndex(a, idx), ib = BroadcastIndex(b, idx);
            var (ga, gb) = ScalarMath.BinaryDerivative(op, a.Data[ia], b.Data[ib]);
            da.Data[ia] += dc.Data[i] * ga;
            db.Data[ib] += dc.Data[i] * gb;
        }
        return (da, db);
    }
}
