using System.Collections.Concurrent;

namespace Tessera.Cuda;

/// <summary>
/// The per-device state of a CUDA library (cuBLASLt, cuDNN): its handle, created in the device's context on first use
/// and destroyed with this object; a lock that serialises the calls made on the handle; and the cache of per-problem
/// plans (the algorithm the library chose for one shape/stride/type key). UNTESTED ON A GPU.
/// </summary>
/// <typeparam name="THandle">The library's handle type.</typeparam>
/// <typeparam name="TKey">What a plan depends on.</typeparam>
/// <typeparam name="TPlan">The cached choice (nullable where "no algorithm" is cached too).</typeparam>
internal sealed class CudaLibraryHandle<THandle, TKey, TPlan> : IDisposable
    where THandle : struct
    where TKey : notnull
{
    private readonly CudaContext _context;
    private readonly object _owner;
    private readonly Func<THandle> _create;
    private readonly Action<THandle> _destroy;
    private THandle? _handle;
    private bool _disposed;

    /// <param name="context">The device context the handle lives in.</param>
    /// <param name="owner">The object named when a call comes after disposal.</param>
    /// <param name="create">Creates the handle (the context is current).</param>
    /// <param name="destroy">Destroys the handle (the context is current).</param>
    public CudaLibraryHandle(CudaContext context, object owner, Func<THandle> create, Action<THandle> destroy)
    {
        _context = context;
        _owner = owner;
        _create = create;
        _destroy = destroy;
    }

    /// <summary>Held around every library call that uses the handle (a handle is not safe for concurrent use).</summary>
    public Lock Gate { get; } = new();

    /// <summary>Plans by problem key.</summary>
    public ConcurrentDictionary<TKey, TPlan> Plans { get; } = new();

    /// <summary>The handle, created on first use.</summary>
    public THandle Handle
    {
        get
        {
            lock (Gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, _owner);
                if (_handle is null)
                {
                    _context.MakeCurrent();
                    _handle = _create();
                }
                return _handle.Value;
            }
        }
    }

    /// <summary>Destroys the handle if one was created; later uses throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_handle is { } h)
            {
                _context.MakeCurrent();
                _destroy(h);
            }
        }
    }
}
