using System.Runtime.InteropServices;
using Tessera.Devices;

namespace Tessera.Tests.Support;

/// <summary>Host memory with a PROT_NONE guard page right after the data and a canary region right before it.
/// A kernel that reads or writes past the end faults at once; one that writes before the start breaks the canary.
/// Linux only (mmap/mprotect from libc).</summary>
public sealed unsafe partial class GuardedMemory : IMemoryPool, IDisposable
{
    private const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    private const uint Canary = 0x7FC0DEAD; // a NaN pattern kernels never produce
    private const int CanaryBytes = 256;
    private readonly List<(nint Base, long Length, nint CanaryStart)> _maps = new();

    public static bool Supported => OperatingSystem.IsLinux();

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint addr, nuint len, int prot);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);

    /// <summary>A tensor whose last byte sits just before a guard page, filled from <paramref name="data"/> (or canaries).</summary>
    public Tensor Tensor(IDevice device, DType dtype, int[] shape, float[]? data = null)
    {
        var s = new Shape(shape);
        long bytes = s.ElementCount * dtype.SizeOf();
        var buffer = RentGuarded(bytes);
        var t = Tessera.Tensor.View(device, buffer, 0, dtype, s);
        if (data is not null) t.CopyFrom<float>(data);
        return t;
    }

    private DeviceBuffer RentGuarded(long bytes)
    {
        long page = Environment.SystemPageSize;
        long dataPages = (bytes + CanaryBytes + page - 1) / page;
        long length = (dataPages + 1) * page;
        nint b = mmap(0, (nuint)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == -1) throw new InvalidOperationException($"mmap failed: {Marshal.GetLastPInvokeError()}");
        nint guard = b + (nint)(dataPages * page);
        if (mprotect(guard, (nuint)page, PROT_NONE) != 0) throw new InvalidOperationException("mprotect failed");
        nint start = guard - (nint)bytes;
        start -= start % 4; // keep 4-byte alignment (the data then ends at most 3 bytes before the guard)
        nint canaryStart = start - CanaryBytes;
        new Span<uint>((void*)canaryStart, CanaryBytes / 4).Fill(Canary);
        new Span<uint>((void*)start, (int)(bytes / 4)).Fill(Canary);
        _maps.Add((b, length, canaryStart));
        return new DeviceBuffer(this, start, bytes, bytes, null);
    }

    /// <summary>True when no canary before any buffer was overwritten.</summary>
    public bool CanariesIntact()
    {
        foreach (var (_, _, c) in _maps)
            foreach (var v in new ReadOnlySpan<uint>((void*)c, CanaryBytes / 4))
                if (v != Canary) return false;
        return true;
    }

    public DeviceBuffer Rent(long bytes, IStream? stream = null) => RentGuarded(bytes);
    public void RecordUse(DeviceBuffer buffer, IStream stream) { }
    public void Return(DeviceBuffer buffer) { }
    public MemoryPoolStats Stats => default;
    public void ReleaseCached() { }

    public void Dispose()
    {
        foreach (var (b, len, _) in _maps) munmap(b, (nuint)len);
        _maps.Clear();
    }
}
