using Tessera.Devices;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>Where SGEMM's packing buffers come from: leased from a pool for the call (the default), or buffers leased
/// beforehand (one per worker slot) when many small products run in parallel, so that the number of pool leases does
/// not depend on how the workers overlap in time.</summary>
internal readonly struct SgemmWorkspace
{
    private readonly CpuMemoryPool? _pool;
    private readonly DeviceBuffer? _a, _b;

    private SgemmWorkspace(CpuMemoryPool? pool, DeviceBuffer? a, DeviceBuffer? b)
    {
        _pool = pool;
        _a = a;
        _b = b;
    }

    public static implicit operator SgemmWorkspace(CpuMemoryPool pool) => new(pool, null, null);

    /// <summary>Pre-leased packing buffers of at least <see cref="Sgemm.PackBytes"/> bytes.</summary>
    public static SgemmWorkspace Fixed(DeviceBuffer a, DeviceBuffer b) => new(null, a, b);

    /// <summary>The packing buffers for a product needing the given bytes; leases (to dispose) are set when taken from the pool.</summary>
    internal (nint A, nint B, DeviceBuffer? LeaseA, DeviceBuffer? LeaseB) Take(long aBytes, long bBytes)
    {
        if (_a is not null && _b is not null)
        {
            if (_a.Bytes < aBytes || _b.Bytes < bBytes)
                throw new TesseraArgumentException("Sgemm", "workspace", $"pre-leased buffers ({_a.Bytes}, {_b.Bytes} bytes) are smaller than needed ({aBytes}, {bBytes})");
            return (_a.Handle, _b.Handle, null, null);
        }
        var pool = _pool ?? throw new TesseraArgumentException("Sgemm", "workspace", "no pool and no buffers");
        var la = pool.Rent(aBytes);
        var lb = pool.Rent(bBytes);
        return (la.Handle, lb.Handle, la, lb);
    }
}

/// <summary>One <see cref="SgemmWorkspace"/> per worker slot of a <see cref="CpuParallel.ForSlots{TState}"/> loop: the
/// packing buffers of each slot, leased before the loop (<see cref="SlotScratch"/>) and returned after it.</summary>
internal sealed class SgemmSlots : IDisposable
{
    private readonly SlotScratch _a, _b;

    public SgemmSlots(CpuMemoryPool pool, int slots, int m, int n, int k)
    {
        var (a, b) = Sgemm.PackBytes(m, n, k);
        _a = new SlotScratch(pool, slots, a);
        _b = new SlotScratch(pool, slots, b);
    }

    public SgemmWorkspace this[int slot] => SgemmWorkspace.Fixed(_a.Buffer(slot), _b.Buffer(slot));

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
