namespace Tessera.Cuda.Interop;

// Typed handles: the C types are pointers (or integers) whose values the driver hands out; a struct per type keeps
// them from being mixed up. All are blittable with the layout of the C type.

/// <summary>CUdeviceptr: a 64-bit device address (unsigned long long in cuda.h on 64-bit hosts).</summary>
internal readonly record struct CuDevicePtr(ulong Value)
{
    public static CuDevicePtr Null => default;
    public bool IsNull => Value == 0;
    public CuDevicePtr Offset(long bytes) => new(Value + (ulong)bytes);
    public override string ToString() => $"0x{Value:x}";
}

/// <summary>CUdevice: an int ordinal handle.</summary>
internal readonly record struct CuDevice(int Value);

/// <summary>CUcontext (struct CUctx_st*).</summary>
internal readonly record struct CuContext(nint Value) { public bool IsNull => Value == 0; }

/// <summary>CUstream (struct CUstream_st*); the null stream is the legacy default stream.</summary>
internal readonly record struct CuStream(nint Value);

/// <summary>CUevent (struct CUevent_st*).</summary>
internal readonly record struct CuEvent(nint Value) { public bool IsNull => Value == 0; }

/// <summary>CUmodule (struct CUmod_st*).</summary>
internal readonly record struct CuModule(nint Value) { public bool IsNull => Value == 0; }

/// <summary>CUfunction (struct CUfunc_st*).</summary>
internal readonly record struct CuFunction(nint Value) { public bool IsNull => Value == 0; }

/// <summary>CUgraph (struct CUgraph_st*).</summary>
internal readonly record struct CuGraph(nint Value) { public bool IsNull => Value == 0; }

/// <summary>CUgraphExec (struct CUgraphExec_st*).</summary>
internal readonly record struct CuGraphExec(nint Value) { public bool IsNull => Value == 0; }

/// <summary>nvrtcProgram (struct _nvrtcProgram*).</summary>
internal readonly record struct NvrtcProgram(nint Value) { public bool IsNull => Value == 0; }

/// <summary>cublasLtHandle_t.</summary>
internal readonly record struct CublasLtHandle(nint Value) { public bool IsNull => Value == 0; }

/// <summary>cublasLtMatmulDesc_t.</summary>
internal readonly record struct CublasLtMatmulDesc(nint Value);

/// <summary>cublasLtMatrixLayout_t.</summary>
internal readonly record struct CublasLtMatrixLayout(nint Value);

/// <summary>cublasLtMatmulPreference_t.</summary>
internal readonly record struct CublasLtMatmulPreference(nint Value);

/// <summary>cudnnHandle_t.</summary>
internal readonly record struct CudnnHandle(nint Value) { public bool IsNull => Value == 0; }
