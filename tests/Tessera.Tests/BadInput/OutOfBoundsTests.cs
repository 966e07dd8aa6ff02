using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Kernels run on tensors that end right at a guard page (a read or write past the end faults) with a canary
/// region before the start (a write before the start is detected). Odd sizes put the tails of vector loops at the edge.</summary>
public class OutOfBoundsTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    public static TheoryData<string> Cases => new()
    {
        "unary", "binary-broadcast", "reduce", "softmax", "cross-entropy", "gemm", "gemm-transposed", "conv2d",
        "conv2d-backward", "maxpool", "avgpool-backward", "layernorm", "layernorm-backward", "batchnorm", "attention",
        "attention-backward", "adam", "concat", "gather", "pad",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelStaysInBounds(string name)
    {
        Requirement.Require(GuardedMemory.Supported, "guard pages need Linux mmap/mprotect");
        using var g = new GuardedMemory();
        Tensor T(int[] shape, int seed = 1) => g.Tensor(Dev, DType.Float32, shape, Rand.Uniform(seed, shape).ToFloats());
        Tensor O(params int[] shape) => g.Tensor(Dev, DType.Float32, shape);
        Tensor I64(int[] shape, float[] values) { var t = g.Tensor(Dev, DType.Int64, shape); t.CopyFrom<long>(Array.ConvertAll(values, v => (long)v)); return t; }
        var k = Dev.Kernels;
        switch (name)
        {
            case "unary": k.Unary(UnaryOp.GeluTanh, T([67]), O(67), default); break;
            case "binary-broadcast": k.Binary(BinaryOp.Mul, T([5, 1, 33]), T([7, 1], 2), O(5, 7, 33)); break;
            case "reduce": k.Reduce(ReduceOp.Sum, T([3, 37, 5]), O(3, 5), new ReduceParams(new[] { 1 }, false)); break;
            case "softmax": k.Softmax(T([9, 131]), O(9, 131), new SoftmaxParams(1)); break;
            case "cross-entropy": k.CrossEntropy(T([5, 17]), I64([5], new float[] { 0, 16, 3, 2, 9 }), O(), new CrossEntropyParams()); break;
            case "gemm": k.Gemm(T([17, 33]), T([33, 19], 2), T([19], 3), O(17, 19), new GemmParams()); break;
            case "gemm-transposed": k.Gemm(T([33, 17]), T([19, 33], 2), null, O(17, 19), new GemmParams(true, true, 0.5f, 0f)); break;
            case "conv2d": k.Conv2d(T([2, 3, 9, 11]), T([5, 3, 3, 3], 2), T([5], 3), null, O(2, 5, 9, 11), Conv2dParams.Square(1, 1)); break;
            case "conv2d-backward":
                k.Conv2dBackwardData(T([2, 5, 5, 6]), T([5, 3, 3, 3], 2), O(2, 3, 9, 11), Conv2dParams.Square(2, 1));
                k.Conv2dBackwardWeight(T([2, 3, 9, 11]), T([2, 5, 5, 6], 2), O(5, 3, 3, 3), Conv2dParams.Square(2, 1));
                break;
            case "maxpool":
                k.MaxPool2d(T([2, 3, 9, 9]), O(2, 3, 5, 5), g.Tensor(Dev, DType.Int64, [2, 3, 5, 5]), new Pool2dParams(3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true));
                break;
            case "avgpool-backward": k.AvgPool2dBackward(T([2, 3, 4, 4]), O(2, 3, 9, 9), Pool2dParams.Square(3, 2)); break;
            case "layernorm": k.LayerNorm(T([7, 65]), T([65], 2), T([65], 3), O(7, 65), O(7), O(7), new LayerNormParams(1)); break;
            case "layernorm-backward":
                {
                    var x = T([7, 65]);
                    var mean = O(7); var inv = O(7);
                    k.LayerNorm(x, T([65], 2), null, O(7, 65), mean, inv, new LayerNormParams(1));
                    k.LayerNormBackward(x, T([7, 65], 4), T([65], 2), mean, inv, O(7, 65), O(65), O(65), new LayerNormParams(1));
                    break;
                }
            case "batchnorm":
                k.BatchNormTraining(T([3, 5, 7]), T([5], 2), T([5], 3), O(3, 5, 7), T([5], 4), g.Tensor(Dev, DType.Float32, [5], Enumerable.Repeat(1f, 5).ToArray()), O(5), O(5), new BatchNormParams());
                break;
            case "attention": k.Attention(T([1, 2, 17, 9]), T([1, 2, 13, 9], 2), T([1, 2, 13, 7], 3), null, O(1, 2, 17, 7), O(1, 2, 17), new AttentionParams(Causal: true)); break;
            case "attention-backward":
                {
                    var q = T([1, 2, 17, 9]); var kk = T([1, 2, 13, 9], 2); var v = T([1, 2, 13, 7], 3);
                    var o = O(1, 2, 17, 7); var lse = O(1, 2, 17);
                    k.Attention(q, kk, v, null, o, lse, new AttentionParams());
                    k.AttentionBackward(q, kk, v, null, o, lse, T([1, 2, 17, 7], 5), O(1, 2, 17, 9), O(1, 2, 13, 9), O(1, 2, 13, 7), new AttentionParams());
                    break;
                }
            case "adam": k.AdamStep(T([1031]), T([1031], 2), T([1031], 3), g.Tensor(Dev, DType.Float32, [1031], Enumerable.Repeat(0.5f, 1031).ToArray()), new AdamParams(1e-3f)); break;
            case "concat": k.Concat(new[] { T([3, 5]), T([3, 7], 2) }, O(3, 12), 1); break;
            case "gather": k.Gather(T([11, 9]), I64([4], new float[] { 10, 0, 3, 10 }), O(4, 9), 0); break;
            case "pad": k.Pad(T([3, 5]), O(5, 9), new PadParams(new[] { 1, 2, 1, 2 }, PadMode.Reflect)); break;
            default: throw new ArgumentException(name);
        }
        Assert.True(g.CanariesIntact(), $"{name} wrote before the start of a buffer");
    }
}
