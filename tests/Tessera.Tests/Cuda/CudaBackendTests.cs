using System.Runtime.InteropServices;
using Tessera.Cuda;
using Tessera.Cuda.Interop;
using Tessera.Devices;

namespace Tessera.Tests.Cuda;

/// <summary>A GPU is never present in CI: tests that need one skip with the reason, also under CI=true.</summary>
public static class GpuRequirement
{
    public static void RequireCudaDevice()
    {
        var status = CudaBackend.Instance.Status;
        if (!status.Available) Assert.Skip($"no usable CUDA device: {status.Reason}");
    }
}

public sealed class CudaResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-cuda-probe").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CudaProbeEnvironment Isolated(Dictionary<string, string> vars, params string[] folders) => new()
    {
        GetVariable = v => vars.TryGetValue(v, out var x) ? x : null,
        UseLoaderPath = false,
        UseStandardFolders = false,
        ExtraFolders = folders,
        IsWindows = false,
        Home = "",
    };

    [Fact]
    public void Override_WithBogusPath_IsListedAsFailed()
    {
        var env = Isolated(new() { ["TESSERA_LIBCUDA"] = "/nonexistent/tessera/libcuda.so.1" });
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Driver), env);
        Assert.False(load.Loaded);
        var first = Assert.Single(load.Attempts);
        Assert.Contains("TESSERA_LIBCUDA=/nonexistent/tessera/libcuda.so.1", first);
        Assert.Contains("no such file", first);
    }

    [Fact]
    public void Override_WithFileThatIsNotALibrary_ReportsLoadFailure()
    {
        string fake = Path.Combine(_dir, "libcudnn.so.9");
        File.WriteAllText(fake, "not an ELF file");
        var env = Isolated(new() { ["TESSERA_LIBCUDNN"] = fake });
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Cudnn), env);
        Assert.False(load.Loaded);
        Assert.Contains(load.Attempts, a => a.Contains(fake) && a.Contains("failed to load"));
    }

    [Fact]
    public void Override_Folder_TriesEachVersionedName()
    {
        var env = Isolated(new() { ["TESSERA_LIBNVRTC"] = _dir });
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Nvrtc), env);
        Assert.False(load.Loaded);
        Assert.Contains(load.Attempts, a => a.Contains("libnvrtc.so.13"));
        Assert.Contains(load.Attempts, a => a.Contains("libnvrtc.so.12"));
    }

    [Fact]
    public void Nvrtc_IsProbedNewestFirst_ThenDebians11_2()
    {
        var names = CudaLibraries.Spec(CudaLibrary.Nvrtc).LinuxNames;
        Assert.Equal(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2" }, names.Take(3));
        var env = Isolated(new() { ["TESSERA_LIBNVRTC"] = _dir });
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Nvrtc), env);
        int i13 = load.Attempts.ToList().FindIndex(a => a.Contains("libnvrtc.so.13"));
        int i11 = load.Attempts.ToList().FindIndex(a => a.Contains("libnvrtc.so.11.2"));
        Assert.True(i13 >= 0 && i11 > i13, string.Join("; ", load.Attempts));
    }

    [Fact]
    public void Override_WithRealSharedLibrary_Loads()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Linux loader test");
        string? libm = new[] { "/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6", "/usr/lib64/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6" }
            .FirstOrDefault(File.Exists);
        Assert.SkipWhen(libm is null, "no libm.so.6 at a known path");
        var env = Isolated(new() { ["TESSERA_LIBCUBLASLT"] = libm! });
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.CublasLt), env);
        Assert.True(load.Loaded);
        Assert.Equal(libm, load.Path);
        Assert.EndsWith(": loaded", Assert.Single(load.Attempts));
    }

    [Fact]
    public void MissingFolders_AndFiles_AreRecorded()
    {
        string absent = Path.Combine(_dir, "absent");
        var env = Isolated(new(), absent, _dir);
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Driver), env);
        Assert.False(load.Loaded);
        Assert.Contains($"{absent}: folder absent", load.Attempts);
        Assert.Contains($"{Path.Combine(_dir, "libcuda.so.1")}: no such file", load.Attempts);
    }

    [Fact]
    public void WheelFolders_UnderVirtualEnv_AreSearched()
    {
        string sp = Path.Combine(_dir, "venv", "lib", "python3.12", "site-packages");
        string cudnnLib = Path.Combine(sp, "nvidia", "cudnn", "lib");
        string nvrtcLib = Path.Combine(sp, "nvidia", "cuda_nvrtc", "lib");
        Directory.CreateDirectory(cudnnLib);
        Directory.CreateDirectory(nvrtcLib);
        Directory.CreateDirectory(Path.Combine(sp, "nvidia", "headers_only"));
        var env = new CudaProbeEnvironment
        {
            GetVariable = v => v == "VIRTUAL_ENV" ? Path.Combine(_dir, "venv") : null,
            UseLoaderPath = false,
            IsWindows = false,
            Home = "",
        };
        var folders = CudaLibraries.Folders(env);
        Assert.Contains(cudnnLib, folders);
        Assert.Contains(nvrtcLib, folders);
        Assert.DoesNotContain(folders, f => f.Contains("headers_only"));
        Assert.Contains("/usr/local/cuda/lib64", folders);
    }

    [Fact]
    public void CudaHome_AddsLib64()
    {
        var env = new CudaProbeEnvironment
        {
            GetVariable = v => v == "CUDA_HOME" ? "/opt/cuda-x" : null,
            UseLoaderPath = false,
            IsWindows = false,
            Home = "",
        };
        Assert.Equal("/opt/cuda-x/lib64", CudaLibraries.Folders(env)[0]);
    }

    [Fact]
    public void WindowsNames_AreProbedOnWindows()
    {
        var env = Isolated(new() { ["TESSERA_LIBCUBLASLT"] = _dir }) ;
        var win = new CudaProbeEnvironment { GetVariable = env.GetVariable, UseLoaderPath = false, UseStandardFolders = false, IsWindows = true };
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.CublasLt), win);
        Assert.Contains(load.Attempts, a => a.Contains("cublasLt64_13.dll"));
        Assert.Contains(load.Attempts, a => a.Contains("cublasLt64_12.dll"));
    }
}

public sealed class CudaBackendTests
{
    [Fact]
    public void Backend_IsRegistered_AndReportsStatusWithoutCrashing()
    {
        _ = CudaBackend.Instance;
        var backend = BackendRegistry.Find(DeviceKind.Cuda);
        Assert.Same(CudaBackend.Instance, backend);
        var status = backend!.Status;
        if (status.Available)
        {
            Assert.True(backend.DeviceCount > 0);
            Assert.Contains(backend.Describe(), p => p.Key == "cuda:0");
        }
        else
        {
            Assert.Equal(0, backend.DeviceCount);
            Assert.False(string.IsNullOrWhiteSpace(status.Reason));
            var driver = CudaLibraries.Get(CudaLibrary.Driver);
            if (!driver.Loaded)
            {
                Assert.Contains("libcuda", status.Reason);
                Assert.NotEmpty(status.Attempts);
                Assert.Contains(status.Attempts, a => a.Contains("libcuda.so.1") || a.Contains("nvcuda.dll"));
            }
            Assert.Single(backend.Describe());
        }
    }

    [Fact]
    public void GetDevice_Cuda_WhenUnavailable_ThrowsDeviceExceptionWithReason()
    {
        Assert.SkipWhen(CudaBackend.Instance.Status.Available, "a CUDA device is present (CudaRuntimeDeviceTests cover GetDevice)");
        var ex = Assert.Throws<TesseraDeviceException>(() => BackendRegistry.GetDevice("cuda"));
        Assert.Contains(CudaBackend.Instance.Status.Reason, ex.Message);
        Assert.Throws<TesseraDeviceException>(() => CudaBackend.Instance.GetDevice(0));
    }

    [Fact]
    public void ContextOpen_WhenUnavailable_ThrowsDeviceException()
    {
        Assert.SkipWhen(CudaBackend.Instance.Status.Available, "a CUDA device is present");
        var ex = Assert.Throws<TesseraDeviceException>(() => CudaContext.Open());
        Assert.Contains("unavailable", ex.Message);
    }

    [Fact]
    public void Check_Success_DoesNotThrow()
    {
        CUresult.CUDA_SUCCESS.Check();
        nvrtcResult.NVRTC_SUCCESS.Check();
        cublasStatus_t.CUBLAS_STATUS_SUCCESS.Check();
        cudnnStatus_t.CUDNN_STATUS_SUCCESS.Check();
    }

    [Fact]
    public void Check_Failure_CarriesStatusNameCodeAndCallText()
    {
        var fake = CUresult.CUDA_ERROR_OUT_OF_MEMORY;
        var ex = Assert.Throws<TesseraBackendException>(() => fake.Check());
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY (2)", ex.Message);
        Assert.Contains("fake failed", ex.Message);
        Assert.Equal("CUDA driver", ex.Op);
        if (!CudaLibraries.Get(CudaLibrary.Driver).Loaded) Assert.Contains("is not loaded", ex.Message);
    }

    [Fact]
    public void Check_UnnamedStatus_IsReportedByNumber()
    {
        var ex = Assert.Throws<TesseraBackendException>(() => ((cudnnStatus_t)4242).Check("cudnnCreate(&h)"));
        Assert.Contains("cudnnCreate(&h) failed with cudnnStatus_t(4242) (4242)", ex.Message);
        Assert.Equal("cuDNN", ex.Op);
        var ex2 = Assert.Throws<TesseraBackendException>(() => nvrtcResult.NVRTC_ERROR_COMPILATION.Check("nvrtcCompileProgram(p, 0, null)"));
        Assert.Contains("NVRTC_ERROR_COMPILATION (6)", ex2.Message);
    }

    [Fact]
    public void Bindings_HaveTheCLayouts()
    {
        Assert.Equal(8, Marshal.SizeOf<CuDevicePtr>());
        Assert.Equal(IntPtr.Size, Marshal.SizeOf<CuStream>());
        Assert.Equal(4, Marshal.SizeOf<CuDevice>());
        Assert.Equal(64, Marshal.SizeOf<cublasLtMatmulAlgo_t>());
        Assert.Equal(96, Marshal.SizeOf<cublasLtMatmulHeuristicResult_t>());
        Assert.Equal(72, Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>(nameof(cublasLtMatmulHeuristicResult_t.state)).ToInt32());
    }
}

/// <summary>Need a GPU: skipped here (and in CI) with the reason. The first GPU session must run these.</summary>
public sealed class CudaDeviceTests
{
    [Fact]
    public void Describe_ListsDevice_WithComputeCapability()
    {
        GpuRequirement.RequireCudaDevice();
        var info = CudaDeviceInfo.Query(0);
        Assert.True(info.Major >= 5);
        Assert.True(info.TotalMemory > 0);
        Assert.Contains(CudaBackend.Instance.Describe(), p => p.Key == "cuda:0" && p.Value.Contains($"{info.Major}.{info.Minor}"));
    }

    [Fact]
    public void CachingAllocator_OverCuMemAlloc_RoundTripsBytes()
    {
        GpuRequirement.RequireCudaDevice();
        using var ctx = CudaContext.Open();
        var stream = ctx.CreateStream();
        var block = ctx.Memory.Allocate(1 << 20, (long)stream.Value);
        var data = new byte[1 << 20];
        new Random(7).NextBytes(data);
        ctx.CopyToDevice(data, new CuDevicePtr(block.Address), stream);
        var back = new byte[data.Length];
        ctx.CopyToHost(new CuDevicePtr(block.Address), back, stream);
        Assert.Equal(data, back);
        ctx.Memory.Free(block);
        var again = ctx.Memory.Allocate(1 << 20, (long)stream.Value);
        Assert.Equal(block.Address, again.Address);
        Assert.Equal(1, ctx.Memory.Stats.RawAllocations);
        ctx.Memory.Free(again);
        ctx.DestroyStream(stream);
    }

    [Fact]
    public void CachingAllocator_OverCuMemAlloc_OutOfMemoryIsReported()
    {
        GpuRequirement.RequireCudaDevice();
        using var ctx = CudaContext.Open();
        var (_, total) = ctx.MemoryInfo();
        var ex = Assert.Throws<TesseraOutOfMemoryException>(() => ctx.Memory.Allocate(total * 2));
        Assert.Contains("device free", ex.Message);
    }
}
