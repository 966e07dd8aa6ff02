using System.Runtime.InteropServices;
using Tessera.Diagnostics;

namespace Tessera.Bench.Baselines;

/// <summary>OpenBLAS through <c>[LibraryImport]</c> of <c>libopenblas.so.0</c> (Debian <c>libopenblas0-pthread</c>).
/// The bindings are private and keep the C symbol names.</summary>
public static unsafe partial class OpenBlas
{
    private const string Lib = "libopenblas.so.0";
    private const int CblasRowMajor = 101, CblasNoTrans = 111;

    [LibraryImport(Lib)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Lib)]
    private static partial byte* openblas_get_config();

    private static readonly Lazy<string?> LoadError = new(() =>
    {
        var probe = new NativeLibraryProbe("OpenBLAS");
        try
        {
            _ = openblas_get_config();
            probe.Attempt($"{Lib} (loader search path)", NativeLibraryProbe.Loaded);
            probe.Finish(Lib);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            probe.Attempt($"{Lib} (loader search path)", $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
            string why = $"{Lib} not loadable ({e.GetType().Name}: {e.Message.Split('\n')[0]}); install Debian libopenblas0-pthread";
            probe.Finish(null, why);
            return why;
        }
    });

    /// <summary>Null when the library loads, else why not.</summary>
    public static string? Unavailable => LoadError.Value;

    /// <summary>The library's configuration string (version, core, threads), or null when absent.</summary>
    public static string? Version => Unavailable is null ? Marshal.PtrToStringAnsi((nint)openblas_get_config()) : null;

    /// <summary>A baseline: row-major C = A·B for host arrays "a" [batch?, M, K] and "b" [batch?, K, N], one
    /// <c>cblas_sgemm</c> per batch entry.</summary>
    public static BaselineSpec Sgemm() => new("OpenBLAS cblas_sgemm", (inst, threads) =>
    {
        if (Unavailable is { } why) throw new BaselineUnavailableException(why);
        openblas_set_num_threads(threads);
        var a = inst.Context.Host["a"]; var b = inst.Context.Host["b"];
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        int batch = a.Data.Length / (m * k);
        var c = new float[(long)batch * m * n];
        var pa = GCHandle.Alloc(a.Data, GCHandleType.Pinned);
        var pb = GCHandle.Alloc(b.Data, GCHandleType.Pinned);
        var pc = GCHandle.Alloc(c, GCHandleType.Pinned);
        float* fa = (float*)pa.AddrOfPinnedObject(), fb = (float*)pb.AddrOfPinnedObject(), fc = (float*)pc.AddrOfPinnedObject();
        return new BaselineRun(() =>
        {
            for (int i = 0; i < batch; i++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1f,
                    fa + (long)i * m * k, k, fb + (long)i * k * n, n, 0f, fc + (long)i * m * n, n);
        }, new Pins(pa, pb, pc), c);
    });

    private sealed class Pins(params GCHandle[] handles) : IDisposable
    {
        public void Dispose() { foreach (var h in handles) h.Free(); }
    }
}
