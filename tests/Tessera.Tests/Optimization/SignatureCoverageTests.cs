using Tessera.Graph;
using Tessera.Tests.Coverage;

namespace Tessera.Tests.Optimization;

/// <summary>Every forward graph op either has a <see cref="Graph.Operators.GraphOp.Signature"/> (the optimizer may merge
/// and fold it) or is listed here with the reason it has none, so a new op's author decides.</summary>
public class SignatureCoverageTests
{
    private static readonly Dictionary<string, string> WithoutSignature = new()
    {
        ["BatchNorm"] = "training mode uses batch statistics and updates the running ones",
        ["Dropout"] = "random, and the identity in inference mode",
        ["CrossEntropy"] = "a loss: graphs holding one train, and get no merging or folding of it anyway",
        ["MseLoss"] = "a loss: graphs holding one train, and get no merging or folding of it anyway",
    };

    [Fact]
    public void Forward_ops_have_a_signature_or_a_reason()
    {
        foreach (var (kind, build) in GraphProbes.Forward)
        {
            var g = new GraphBuilder();
            build(g);
            foreach (var node in g.Graph.Nodes)
                Assert.True(node.Op.Signature is not null || WithoutSignature.ContainsKey(node.Op.Kind),
                    $"{kind}: op {node.Op.Kind} has no Signature and no reason listed");
        }
        Assert.All(WithoutSignature.Keys, k => Assert.Contains(GraphProbes.Forward.Values, b =>
        {
            var g = new GraphBuilder();
            b(g);
            return g.Graph.Nodes.Any(n => n.Op.Kind == k);
        }));
    }
}
