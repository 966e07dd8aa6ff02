using System.Text.RegularExpressions;
using Tessera.Cuda;
using Tessera.Gpu;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cuda;

/// <summary>
/// The kernel names a family source declares: <c>KERNEL void name(</c> directly, and the names stamped out by
/// function-like macros (<c>#define COPY_KERNEL(bits, T) KERNEL void copy_strided_##bits(...)</c> invoked as
/// <c>COPY_KERNEL(b8, u8)</c>), found by a small expander: continuation lines joined, comments dropped, function-like
/// macros of the file substituted (parameters replaced as whole words, <c>##</c> pasted) until none is left.
/// </summary>
public static partial class KernelNames
{
    public static IReadOnlyList<string> FromSource(string source)
    {
        string text = source.Replace("\\\r\n", " ").Replace("\\\n", " ");
        text = BlockComment().Replace(text, " ");
        text = LineComment().Replace(text, "");
        var macros = new Dictionary<string, (string[] Params, string Body)>(StringComparer.Ordinal);
        var body = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var m = Define().Match(line);
            if (m.Success)
            {
                var ps = m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                macros[m.Groups[1].Value] = (ps, m.Groups[3].Value);
            }
            else if (!line.TrimStart().StartsWith('#')) body.Add(line);
        }
        text = string.Join("\n", body);
        for (int round = 0; round < 64; round++)
        {
            string next = ExpandOnce(text, macros);
            if (next == text) break;
            text = next;
        }
        return KernelDecl().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToArray();
    }

    private static string ExpandOnce(string text, Dictionary<string, (string[] Params, string Body)> macros)
    {
        var sb = new System.Text.StringBuilder();
        int pos = 0;
        foreach (Match m in Identifier().Matches(text))
        {
            if (m.Index < pos || !macros.TryGetValue(m.Value, out var macro)) continue;
            int open = m.Index + m.Length;
            while (open < text.Length && char.IsWhiteSpace(text[open])) open++;
            if (open >= text.Length || text[open] != '(') continue;
            var args = new List<string>();
            int depth = 0, start = open + 1, i = open;
            for (; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '(') depth++;
                else if (c == ')' && --depth == 0) { args.Add(text[start..i].Trim()); break; }
                else if (c == ',' && depth == 1) { args.Add(text[start..i].Trim()); start = i + 1; }
            }
            if (i >= text.Length) continue;
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int k = 0; k < macro.Params.Length && k < args.Count; k++) map[macro.Params[k]] = args[k];
            string expanded = Identifier().Replace(macro.Body, t => map.TryGetValue(t.Value, out var a) ? a : t.Value);
            expanded = Paste().Replace(expanded, "");
            sb.Append(text, pos, m.Index - pos).Append(' ').Append(expanded).Append(' ');
            pos = i + 1;
        }
        sb.Append(text, pos, text.Length - pos);
        return sb.ToString();
    }

    /// <summary>The .entry names of a PTX module.</summary>
    public static IReadOnlySet<string> PtxEntries(string ptx) =>
        PtxEntry().Matches(ptx).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)] private static partial Regex BlockComment();
    [GeneratedRegex(@"//[^\n]*")] private static partial Regex LineComment();
    [GeneratedRegex(@"^\s*#\s*define\s+(\w+)\(([^)]*)\)(.*)$")] private static partial Regex Define();
    [GeneratedRegex(@"[A-Za-z_]\w*")] private static partial Regex Identifier();
    [GeneratedRegex(@"\s*##\s*")] private static partial Regex Paste();
    [GeneratedRegex(@"\bKERNEL\s+void\s+(\w+)\s*\(")] private static partial Regex KernelDecl();
    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(")] private static partial Regex PtxEntry();
}

/// <summary>NVRTC is required in CI (Debian's libnvrtc11.2); these need no GPU and no driver.</summary>
public sealed class NvrtcCompilerTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("tessera-nvrtc-cache").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private static void RequireNvrtc() =>
        Requirement.Require(NvrtcCompiler.IsAvailable, "NVRTC is not loadable (install libnvrtc11.2 + libnvrtc-builtins11.8 from Debian non-free, or set TESSERA_LIBNVRTC)");

    public static TheoryData<string, int> FamiliesAndArchitectures()
    {
        var data = new TheoryData<string, int>();
        foreach (var f in GpuSources.Families.Union(new[] { "core" }))
            foreach (int arch in new[] { 90, 80 })
                data.Add(f, arch);
        return data;
    }

    [Theory]
    [MemberData(nameof(FamiliesAndArchitectures))]
    public void Family_Compiles_AndPtxHasAnEntryPerKernel(string family, int arch)
    {
        RequireNvrtc();
        var image = NvrtcCompiler.Compile(family, GpuSources.Program(GpuDialect.Cuda, family), NvrtcCompiler.Options(arch), cacheDirectory: "");
        string ptx = image.Text;
        Assert.Contains($".target sm_{arch}", ptx);
        var entries = KernelNames.PtxEntries(ptx);
        // Macros of common.h may stamp kernels too, so expand the family with it (common.h itself declares none).
        var declared = KernelNames.FromSource(GpuSources.Read("portable/common.h") + "\n" + GpuSources.Read($"portable/{family}.h"));
        Assert.NotEmpty(declared);
        var missing = declared.Where(n => !entries.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, $"{family} compute_{arch}: no .entry for {string.Join(", ", missing)}");
        var unexpected = entries.Where(e => !declared.Contains(e)).ToArray();
        Assert.True(unexpected.Length == 0, $"{family} compute_{arch}: .entry without a KERNEL declaration found by the expander: {string.Join(", ", unexpected)}");
    }

    [Fact]
    public void KernelNames_ExpandsNestedMacroStamps()
    {
        var names = KernelNames.FromSource(GpuSources.Read("portable/core.h"));
        foreach (var n in new[] { "copy_strided_b8", "copy_strided_b64", "fill_strided_b16", "cast_f32_bf16", "cast_b8_f64", "cast_f16_i64", "cast_i64_i32", "cast_i64_f32" })
            Assert.Contains(n, names);
        var synthetic = KernelNames.FromSource("""
            // KERNEL void commented_out(
            #define A(x, y) KERNEL void a_##x##_##y(GLOBAL float* p) \
              { p[0] = 0; }
            #define B(x) A(x, f32) A(x, f16)
            B(one)
            KERNEL void plain_kernel(GLOBAL float* p, i64 n) { }
            """);
        Assert.Equal(new[] { "a_one_f32", "a_one_f16", "plain_kernel" }, synthetic);
    }

    [Fact]
    public void SecondCompile_HitsTheDiskCache()
    {
        RequireNvrtc();
        var first = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        Assert.False(first.FromCache);
        Assert.NotNull(first.CachePath);
        Assert.True(File.Exists(first.CachePath));
        Assert.StartsWith(_cache, first.CachePath);
        var second = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Key, second.Key);
        Assert.Equal(first.Ptx, second.Ptx);
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));
    }

    [Fact]
    public void DifferentOptions_GiveDifferentKeys()
    {
        RequireNvrtc();
        var a = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        var b = NvrtcCompiler.CompileFamily("core", 8, 0, _cache);
        Assert.NotEqual(a.Key, b.Key);
        Assert.NotEqual(a.CachePath, b.CachePath);
        Assert.False(b.FromCache);
        Assert.Contains("--gpu-architecture=compute_80", b.Options);
        Assert.Contains("-lineinfo", b.Options);
        Assert.Contains("-default-device", b.Options);
        Assert.Contains("--std=c++17", b.Options);
        string program = GpuSources.Program(GpuDialect.Cuda, "core");
        string toolchain = NvrtcCompiler.Toolchain;
        Assert.Matches(@"^nvrtc \d+\.\d+ driver (\d+|none)$", toolchain);
        Assert.Equal(GpuSources.Hash(program, string.Join(" ", NvrtcCompiler.Options(90)), toolchain), a.Key);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncate")]
    [InlineData("flip")]
    [InlineData("empty")]
    public void CorruptedCacheEntry_IsRecompiled(string damage)
    {
        RequireNvrtc();
        var good = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        string path = good.CachePath!;
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "garbage": File.WriteAllText(path, "this is not a cache entry"); break;
            case "truncate": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "flip": bytes[^100] ^= 0x20; File.WriteAllBytes(path, bytes); break;
            case "empty": File.WriteAllBytes(path, Array.Empty<byte>()); break;
        }
        var again = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        Assert.False(again.FromCache);
        Assert.Equal(good.Ptx, again.Ptx);
        var third = NvrtcCompiler.CompileFamily("core", 9, 0, _cache);
        Assert.True(third.FromCache, "the recompiled entry was rewritten");
    }

    [Fact]
    public void CompileError_ThrowsWithTheNvrtcLog()
    {
        RequireNvrtc();
        var ex = Assert.Throws<TesseraBackendException>(() =>
            NvrtcCompiler.Compile("broken", "extern \"C\" __global__ void k(float* p) { p[0] = undefined_thing; }", NvrtcCompiler.Options(90), _cache));
        Assert.Contains("broken.cu", ex.Message);
        Assert.Contains("undefined_thing", ex.Message);
        Assert.Contains("NVRTC_ERROR_COMPILATION", ex.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public void TargetArchitecture_ClampsToWhatNvrtcSupports()
    {
        RequireNvrtc();
        var archs = NvrtcCompiler.SupportedArchitectures;
        Assert.Contains(90, archs);
        Assert.Equal(90, NvrtcCompiler.TargetArchitecture(9, 0));
        int future = NvrtcCompiler.TargetArchitecture(15, 0);
        Assert.Contains(future, archs);
        Assert.Equal(archs.Max(), future);
    }

    [Fact]
    public void DefaultCacheDirectory_IsUnderTesseraCacheDirOrHome()
    {
        string dir = NvrtcCompiler.DefaultCacheDirectory;
        string? root = Environment.GetEnvironmentVariable(NvrtcCompiler.CacheDirVariable);
        if (!string.IsNullOrWhiteSpace(root)) Assert.Equal(Path.Combine(root, "cuda"), dir);
        else Assert.EndsWith(Path.Combine(".cache", "tessera", "cuda"), dir);
    }
}
