using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference batch norm, layer norm and dropout: scalar loops, double accumulation, written to be obviously
/// correct. Independent of the CPU kernels.</summary>
public static class RefNorm
{
    /// <summary>Result of a training-mode batch norm.</summary>
    public sealed record BatchNormResult(RefTensor Y, RefTensor SaveMean, RefTensor SaveInvStd, RefTensor RunningMean, RefTensor RunningVar);

    // x [N, C, rest...]: element (n, c, s) lives at (n*C + c)*S + s.
    private static (int N, int C, int S) Split(RefTensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.Shape[i];
        return (n, c, s);
    }

    /// <summary>Training batch norm: batch statistics per channel (biased variance for normalising, unbiased for the
    /// running variance); returns the updated running statistics (the inputs are not modified).</summary>
    public static BatchNormResult BatchNormTraining(RefTensor x, RefTensor gamma, RefTensor beta,
        RefTensor runningMean, RefTensor runningVar, BatchNormParams p)
    {
        var (n, c, s) = Split(x);
        long m = (long)n * s;
        var y = new RefTensor(x.Shape);
        var mean = new RefTensor(c);
        var invStd = new RefTensor(c);
        var rm = runningMean.Clone();
        var rv = runningVar.Clone();
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < s; i++) sum += x.Data[((long)b * c + ch) * s + i];
            double mu = sum / m;
            double sq = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < s; i++)
                {
                    double d = x.Data[((long)b * c + ch) * s + i] - mu;
                    sq += d * d;
                }
            double var = sq / m;
            double r = 1.0 / Math.Sqrt(var + p.Epsilon);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < s; i++)
                {
                    long at = ((long)b * c + ch) * s + i;
                    y.Data[at] = (x.Data[at] - mu) * r * gamma.Data[ch] + beta.Data[ch];
                }
            mean.Data[ch] = mu;
            invStd.Data[ch] = r;
            double unbiased = m > 1 ? sq / (m - 1) : double.NaN;
            rm.Data[ch] = (1 - p.Momentum) * rm.Data[ch] + p.Momentum * mu;
            rv.Data[ch] = (1 - p.Momentum) * rv.Data[ch] + p.Momentum * unbiased;
        }
        return new BatchNormResult(y, mean, invStd, rm, rv);
    }

    /// <summary>Inference batch norm with the running statistics.</summary>
    public static RefTensor BatchNormInference(RefTensor x, RefTensor gamma, RefTensor beta,
        RefTensor runningMean, RefTensor runningVar, BatchNormParams p)
    {
        var (n, c, s) = Split(x);
        var y = new RefTensor(x.Shape);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < s; i++)
                {
                    long at = ((long)b * c + ch) * s + i;
                    double r = 1.0 / Math.Sqrt(runningVar.Data[ch] + p.Epsilon);
                    y.Data[at] = (x.Data[at] - runningMean.Data[ch]) * r * gamma.Data[ch] + beta.Data[ch];
                }
        return y;
    }

    /// <summary>Training batch norm backward: (dx, dgamma, dbeta), analytic, from the saved batch statistics.</summary>
    public static (RefTensor Dx, RefTensor DGamma, RefTensor DBeta) BatchNormBackward(RefTensor x, RefTensor dy, RefTensor gamma,
        RefTensor saveMean, RefTensor saveInvStd)
    {
        var (n, c, s) = Split(x);
        double m = (double)n * s;
        var dx = new RefTensor(x.Shape);
        var dg = new RefTensor(c);
        var db = new RefTensor(c);
        for (int ch = 0; ch < c; ch++)
        {
            double mu = saveMean.Data[ch], r = saveInvStd.Data[ch];
            double sumDy = 0, sumDyXhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < s; i++)
                {
                    long at = ((long)b * c + ch) * s + i;
                    sumDy += dy.Data[at];
                    sumDyXhat += dy.Data[at] * (x.Data[at] - mu) * r;
                }
            db.Data[ch] = sumDy;
            dg.Data[ch] = sumDyXhat;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < s; i++)
                {
                    long at = ((long)b * c + ch) * s + i;
                    double xhat = (x.Data[at] - mu) * r;
                    dx.Data[at] = gamma.Data[ch] * r / m * (m * dy.Data[at] - sumDy - xhat * sumDyXhat);
                }
        }
        return (dx, dg, db);
    }

    private static (long Rows, int Inner) LayerNormSplit(RefTensor x, int axis)
    {
        long rows = 1;
        int inner = 1;
        for (int i = 0; i < axis; i++) rows *= x.Shape[i];
        for (int i = axis; i < x.Rank; i++) inner *= x.Shape[i];
        return (rows, inner);
    }

    /// <summary>Layer norm over axes [Axis, rank): (y, mean, invStd); mean/invStd have shape x.shape[..Axis].
    /// gamma/beta (shape x.shape[Axis..]) may be null.</summary>
    public static (RefTensor Y, RefTensor Mean, RefTensor InvStd) LayerNorm(RefTensor x, RefTensor? gamma, RefTensor? beta, LayerNormParams p)
    {
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        var y = new RefTensor(x.Shape);
        var statShape = x.Shape[..p.Axis];
        var mean = new RefTensor(statShape);
        var invStd = new RefTensor(statShape);
        for (long r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int i = 0; i < inner; i++) sum += x.Data[r * inner + i];
            double mu = sum / inner;
            double sq = 0;
            for (int i = 0; i < inner; i++) { double d = x.Data[r * inner + i] - mu; sq += d * d; }
            double rs = 1.0 / Math.Sqrt(sq / inner + p.Epsilon);
            for (int i = 0; i < inner; i++)
            {
                double v = (x.Data[r * inner + i] - mu) * rs;
                if (gamma is not null) v *= gamma.Data[i];
                if (beta is not null) v += beta.Data[i];
                y.Data[r * inner + i] = v;
            }
            mean.Data[r] = mu;
            invStd.Data[r] = rs;
        }
        return (y, mean, invStd);
    }

    /// <summary>Layer norm backward: dx always; dgamma/dbeta are null when gamma/beta are (dbeta is returned whenever
    /// <paramref name="withBeta"/>).</summary>
    public static (RefTensor Dx, RefTensor? DGamma, RefTensor? DBeta) LayerNormBackward(RefTensor x, RefTensor dy, RefTensor? gamma,
        RefTensor mean, RefTensor invStd, LayerNormParams p, bool withBeta)
    {
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        var affineShape = x.Shape[p.Axis..];
        var dx = new RefTensor(x.Shape);
        var dg = gamma is null ? null : new RefTensor(affineShape);
        var db = withBeta ? new RefTensor(affineShape) : null;
        for (long r = 0; r < rows; r++)
        {
            double mu = mean.Data[r], rs = invStd.Data[r];
            double sumG = 0, sumGXhat = 0;
            for (int i = 0; i < inner; i++)
            {
                long at = r * inner + i;
                double xhat = (x.Data[at] - mu) * rs;
                double g = dy.Data[at] * (gamma is null ? 1.0 : gamma.Data[i]);
                sumG += g;
                sumGXhat += g * xhat;
                if (dg is not null) dg.Data[i] += dy.Data[at] * xhat;
                if (db is not null) db.Data[i] += dy.Data[at];
            }
            for (int i = 0; i < inner; i++)
            {
                long at = r * inner + i;
                double xhat = (x.Data[at] - mu) * rs;
                double g = dy.Data[at] * (gamma is null ? 1.0 : gamma.Data[i]);
                dx.Data[at] = rs * (g - sumG / inner - xhat * sumGXhat / inner);
            }
        }
        return (dx, dg, db);
    }

    /// <summary>The dropout random number of element <paramref name="index"/>: the (index+1)-th output of a SplitMix64
    /// generator started at <paramref name="seed"/>, i.e. mix(seed + (index+1)·0x9E3779B97F4A7C15). Written out here
    /// independently of the CPU kernel (same published algorithm, separate code), so the test compares two implementations.</summary>
    public static ulong DropoutHash(ulong seed, long index)
    {
        ulong state = seed;
        unchecked
        {
            state += (ulong)(index + 1) * 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Dropout: element i is kept when u_i = (hash_i &gt;&gt; 32)/2³² ≥ Ratio; y = x·mask/(1−Ratio).
    /// Not training: y = x and mask = 1.</summary>
    public static (RefTensor Y, RefTensor Mask) Dropout(RefTensor x, DropoutParams p)
    {
        var y = new RefTensor(x.Shape);
        var mask = new RefTensor(x.Shape);
        for (long i = 0; i < x.Length; i++)
        {
            bool keep = true;
            if (p.Training)
            {
                double u = (DropoutHash(p.Seed, i) >> 32) / 4294967296.0;
                keep = u >= p.Ratio;
            }
            double scale = p.Training ? 1.0 / (1.0 - p.Ratio) : 1.0;
            mask.Data[i] = keep ? 1 : 0;
            y.Data[i] = keep ? x.Data[i] * scale : 0.0;
        }
        return (y, mask);
    }

    /// <summary>dx = dy·mask/(1−Ratio) (dx = dy when not training).</summary>
    public static RefTensor DropoutBackward(RefTensor dy, RefTensor mask, DropoutParams p)
    {
        var dx = new RefTensor(dy.Shape);
        double scale = p.Training ? 1.0 / (1.0 - p.Ratio) : 1.0;
        for (long i = 0; i < dy.Length; i++) dx.Data[i] = dy.Data[i] * mask.Data[i] * scale;
        return dx;
    }
}
