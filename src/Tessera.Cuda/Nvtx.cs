using System.Runtime.InteropServices;
using System.Text;

namespace Tessera.Cuda;

/// <summary>
/// Optional NVTX ranges for Nsight Systems: nvtxRangePushA / nvtxRangePop of libnvToolsExt.so.1 (override with
/// <c>TESSERA_LIBNVTX</c>). Without the library every call is a no-op, so ranges can stay in production code.
/// <code>using (Nvtx.Range("resnet block 3")) { ... }</code>
/// UNTESTED ON A GPU (the library loads and the calls run on a machine without one; nothing records them there).
/// </summary>
internal static unsafe class Nvtx
{
    /// <summary>Variable naming the NVTX library file.</summary>
    public const string OverrideVariable = "TESSERA_LIBNVTX";

    private static readonly delegate* unmanaged<byte*, int> PushA;
    private static readonly delegate* unmanaged<int> Pop;

#pragma warning disable CA1810 // the probe needs statements
    static Nvtx()
    {
        string? path = Environment.GetEnvironmentVariable(OverrideVariable);
        foreach (var name in string.IsNullOrWhiteSpace(path)
                     ? new[] { "libnvToolsExt.so.1", "libnvToolsExt.so", "nvToolsExt64_1.dll" }
                     : new[] { path })
        {
            if (!NativeLibrary.TryLoad(name, out nint lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "nvtxRangePushA", out nint push) && NativeLibrary.TryGetExport(lib, "nvtxRangePop", out nint pop))
            {
                PushA = (delegate* unmanaged<byte*, int>)push;
                Pop = (delegate* unmanaged<int>)pop;
                LibraryName = name;
                return;
            }
        }
    }
#pragma warning restore CA1810

    /// <summary>True when the NVTX library was found.</summary>
    public static bool IsAvailable => PushA != null;

    /// <summary>The library loaded, or null.</summary>
    public static string? LibraryName { get; }

    /// <summary>Opens a range (nested ranges stack per thread); returns the nesting depth, or −1 without NVTX.</summary>
    public static int Push(string name)
    {
        if (PushA == null) return -1;
        int n = Encoding.UTF8.GetByteCount(name);
        Span<byte> buf = n < 256 ? stackalloc byte[n + 1] : new byte[n + 1];
        Encoding.UTF8.GetBytes(name, buf);
        buf[n] = 0;
        fixed (byte* p = buf) return PushA(p);
    }

    /// <summary>Closes the innermost range of this thread; returns the depth left, or −1 without NVTX.</summary>
    public static int PopRange() => Pop == null ? -1 : Pop();

    /// <summary>A range closed when disposed.</summary>
    public static RangeScope Range(string name)
    {
        Push(name);
        return new RangeScope(IsAvailable);
    }

    /// <summary>Closes its range on dispose.</summary>
    public readonly struct RangeScope(bool active) : IDisposable
    {
        public void Dispose()
        {
            if (active) PopRange();
        }
    }
}
