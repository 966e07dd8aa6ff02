using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Comparisons, select (where) and logical not: typed loops in <see cref="LogicalDrivers"/>, vectorised
/// (Vector256) for every element size.</summary>
internal sealed partial class CpuKernels
{
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor c)
    {
        using var la = TensorLease.Broadcast(a, c.Shape);
        using var lb = TensorLease.Broadcast(b, c.Shape);
        Tensor ea = la.Tensor, eb = lb.Tensor;
        switch (a.DType)
        {
            case DType.Float32: CompareTyped<float>(op, ea, eb, c); break;
            case DType.Int32: CompareTyped<int>(op, ea, eb, c); break;
            case DType.Int64: CompareTyped<long>(op, ea, eb, c); break;
            case DType.Bool or DType.UInt8 when op == CompareOp.Equal:
                LogicalDrivers.Compare<byte, EqualMath<byte>>(default, ea, eb, c, Threads); break;
            default: throw new TesseraDTypeException(op.ToString(), nameof(a), $"unsupported dtype {a.DType}");
        }
    }

    private void CompareTyped<T>(CompareOp op, Tensor a, Tensor b, Tensor c) where T : unmanaged, System.Numerics.INumber<T>
    {
        int t = Threads;
        switch (op)
        {
            case CompareOp.Equal: LogicalDrivers.Compare<T, EqualMath<T>>(default, a, b, c, t); break;
            case CompareOp.Less: LogicalDrivers.Compare<T, LessMath<T>>(default, a, b, c, t); break;
            case CompareOp.LessOrEqual: LogicalDrivers.Compare<T, LessOrEqualMath<T>>(default, a, b, c, t); break;
            case CompareOp.Greater: LogicalDrivers.Compare<T, GreaterMath<T>>(default, a, b, c, t); break;
            case CompareOp.GreaterOrEqual: LogicalDrivers.Compare<T, GreaterOrEqualMath<T>>(default, a, b, c, t); break;
            default: throw new TesseraArgumentException("Compare", nameof(op), $"unknown comparison {op}");
        }
    }

    public void Where(Tensor cond, Tensor a, Tensor b, Tensor c)
    {
        using var lc = TensorLease.Broadcast(cond, c.Shape);
        using var la = TensorLease.Broadcast(a, c.Shape);
        using var lb = TensorLease.Broadcast(b, c.Shape);
        switch (c.DType)
        {
            case DType.Float32: LogicalDrivers.Where<float>(lc.Tensor, la.Tensor, lb.Tensor, c, Threads); break;
            case DType.Int32: LogicalDrivers.Where<int>(lc.Tensor, la.Tensor, lb.Tensor, c, Threads); break;
            case DType.Int64: LogicalDrivers.Where<long>(lc.Tensor, la.Tensor, lb.Tensor, c, Threads); break;
            case DType.Bool: LogicalDrivers.Where<byte>(lc.Tensor, la.Tensor, lb.Tensor, c, Threads); break;
            default: throw new TesseraDTypeException("Where", nameof(c), $"unsupported dtype {c.DType}");
        }
    }

    public void LogicalNot(Tensor x, Tensor y) => LogicalDrivers.LogicalNot(x, y, Threads);
}
