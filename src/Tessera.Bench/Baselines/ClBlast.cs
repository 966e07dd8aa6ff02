using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.OpenCL;

namespace Tessera.Bench.Baselines;

/// <summary>CLBlast (Debian <c>libclblast1</c>, <c>libclblast.so.1</c>) through <c>[LibraryImport]</c>: SGEMM on the
/// OpenCL device's own buffers and queue, so it is timed with the same device events as our kernels. The bindings are
/// private and keep the C symbol names.</summary>
public static unsafe partial class ClBlast
{
    private const string Lib = "libclblast.so.1";
    private const int RowMajor = 101, NoTranspose = 111;

    [LibraryImport(Lib)]
    private static partial int CLBlastSgemmStridedBatched(int layout, int aTranspose, int bTranspose, nuint m, nuint n, nuint k,
        float alpha, nint a, nuint aOffset, nuint aLd, nuint aStride, nint b, nuint bOffset, nuint bLd, nuint bStride,
        float beta, nint c, nuint cOffset, nuint cLd, nuint cStride, nuint batchCount, nint* queue, nint* evt);

    [LibraryImport(Lib)]
    private static partial int CLBlastClearCache();

    private static readonly Lazy<string?> LoadError = new(() =>
    {
        try { _ = CLBlastClearCache(); return null; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"{Lib} not loadable ({e.GetType().Name}: {e.Message.Split('\n')[0]}); install Debian libclblast1";
        }
    });

    /// <summary>Null when the library loads, else why not.</summary>
    public static string? Unavailable => LoadError.Value;

    /// <summary>The library's version from the file it was loaded from (CLBlast has no version call), or null.</summary>
    public static string? Version => Unavailable is null ? NativeLibraries.LoadedVersion("libclblast.so") : null;

    /// <summary>A baseline: row-major C = A·B for device inputs "a" [batch?, M, K] and "b" [batch?, K, N], one
    /// <c>CLBlastSgemmStridedBatched</c> call on the device's default queue.</summary>
    public static BaselineSpec Sgemm() => new("CLBlast CLBlastSgemm", (inst, _) =>
    {
        if (Unavailable is { } why) throw new BaselineUnavailableException(why);
        var ctx = inst.Context;
        if (ctx.Device.DefaultStream is not ClQueue queue) throw new BaselineUnavailableException("not an OpenCL device");
        var a = ctx.Tensors["a"]; var b = ctx.Tensors["b"];
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        int batch = (int)(a.ElementCount / ((long)m * k));
        var c = Tensor.Empty(ctx.Device, DType.Float32, batch, m, n);
        nint ha = a.Storage.Buffer.Handle, hb = b.Storage.Buffer.Handle, hc = c.Storage.Buffer.Handle;
        nuint oa = (nuint)a.Offset, ob = (nuint)b.Offset, oc = (nuint)c.Offset;
        return new BaselineRun(() =>
        {
            nint q = queue.Handle;
            int status = CLBlastSgemmStridedBatched(RowMajor, NoTranspose, NoTranspose, (nuint)m, (nuint)n, (nuint)k, 1f,
                ha, oa, (nuint)k, (nuint)((long)m * k), hb, ob, (nuint)n, (nuint)((long)k * n), 0f,
                hc, oc, (nuint)n, (nuint)((long)m * n), (nuint)batch, &q, null);
            if (status != 0) throw new TesseraDeviceException("CLBlastSgemm", "status", $"CLBlast returned status {status}");
        }, c, readOutput: () => c.ToArray<float>());
    }, DeviceKind.OpenCL);
}
