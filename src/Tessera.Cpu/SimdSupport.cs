using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu;

/// <summary>Whether this process can use the vector instructions the processor has. A Native AOT build compiles for a
/// baseline instruction set unless told otherwise (<c>IlcInstructionSet</c>), and then runs every kernel without
/// AVX2/AVX-512 — about 30 times slower for SGEMM — without saying so; this says so.</summary>
internal static class SimdSupport
{
    /// <summary>The environment variable that silences the start-up warning when set to 0.</summary>
    public const string WarningVariable = "TESSERA_SIMD_WARNING";

    /// <summary>One line saying which of the processor's vector extensions this build cannot use, or null when it uses
    /// the widest it has (or the processor is not x86).</summary>
    public static string? Warning { get; } = Check();

    /// <summary>Writes <see cref="Warning"/> once to standard error, unless <see cref="WarningVariable"/> is 0.</summary>
    public static void WarnOnce()
    {
        if (Warning is { } w && Environment.GetEnvironmentVariable(WarningVariable) != "0")
            Console.Error.WriteLine($"tessera: warning: {w} ({WarningVariable}=0 silences this)");
    }

    private static string? Check()
    {
        if (!X86Base.IsSupported || X86Base.CpuId(0, 0).Eax < 7) return null;
        // CPUID.1:ECX.OSXSAVE says the OS saves the AVX state; CPUID.7.0:EBX bit 5 is AVX2, bit 16 AVX-512F.
        if ((X86Base.CpuId(1, 0).Ecx & (1 << 27)) == 0) return null;
        int ebx = X86Base.CpuId(7, 0).Ebx;
        string? missing = (ebx & (1 << 16)) != 0 && !Avx512F.IsSupported ? "AVX-512"
            : (ebx & (1 << 5)) != 0 && !Avx2.IsSupported ? "AVX2"
            : null;
        if (missing is null) return null;
        return $"the processor has {missing} but this build cannot use it (Vector512 " +
               $"{(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, Vector256 " +
               $"{(Vector256.IsHardwareAccelerated ? "accelerated" : "not accelerated")}), so the CPU kernels run " +
               "several times slower: a Native AOT build needs -p:IlcInstructionSet=native (Tessera.Cpu's package sets " +
               "it unless the project sets IlcInstructionSet or TesseraAotInstructionSet); under the JIT, check the " +
               "DOTNET_EnableAVX* variables";
    }
}
