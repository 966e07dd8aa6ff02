using System.Reflection;

namespace Tessera.Tests.Coverage;

/// <summary>The public surface is the product, not its plumbing: no assembly under src/ exports a type from an
/// interop or SIMD namespace (native bindings, vector structs, element-loop drivers), nor one of the implementation
/// helpers that were made internal when the surface was tracked (PublicAPI.Shipped.txt of each project).</summary>
public class PublicSurfaceTests
{
    /// <summary>Every assembly built from src/ (the CLI's is named after its command).</summary>
    private static readonly string[] Assemblies =
    [
        "Tessera.Core", "Tessera.Reference", "Tessera.Cpu", "Tessera.Gpu", "Tessera.Cuda", "Tessera.OpenCL",
        "Tessera.Graph", "Tessera.Onnx", "Tessera.Distributed", "Tessera.Bench.Timing", "Tessera.Bench", "tessera",
    ];

    /// <summary>Implementation helpers outside those namespaces that must stay internal (full names).</summary>
    private static readonly string[] InternalHelpers =
    [
        "Tessera.Onnx.Import.Mt19937", "Tessera.Onnx.Protobuf.ProtoReader",
        "Tessera.Onnx.Protobuf.ProtoWriter", "Tessera.Onnx.Protobuf.WireType",
    ];

    [Fact]
    public void NoPublicTypeIsInAnInteropOrSimdNamespace()
    {
        var problems = new List<string>();
        foreach (string name in Assemblies)
        {
            var assembly = Assembly.Load(new AssemblyName(name));
            foreach (var type in assembly.GetExportedTypes())
            {
                string ns = type.Namespace ?? "";
                if (ns.Contains("Interop", StringComparison.Ordinal) || ns.Contains("Simd", StringComparison.Ordinal))
                    problems.Add($"{name}: {type.FullName} is public in namespace {ns}");
                else if (InternalHelpers.Contains(type.FullName))
                    problems.Add($"{name}: {type.FullName} is an implementation helper and must stay internal");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} public types that are plumbing:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void EveryListedAssemblyExportsSomething()
    {
        // The check above is only as good as its list: each assembly loads and has a public surface to check.
        foreach (string name in Assemblies)
            Assert.NotEmpty(Assembly.Load(new AssemblyName(name)).GetExportedTypes());
    }
}
