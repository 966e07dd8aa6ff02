using System.Runtime.InteropServices;
using Tessera.Bench;
using Tessera.Bench.Models;
using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>The result of one engine on one model.</summary>
public sealed record EngineResult(string Model, string Engine, Measurement Time, double Gflops, IReadOnlyList<OnnxTensor> Outputs);

/// <summary>Runs a <see cref="BenchCase"/> on an <see cref="IOnnxEngine"/> and compares engines. This is the entry point
/// for adding an engine: implement <see cref="IOnnxEngine"/> and pass it to <see cref="Measure"/> with the same case;
/// <see cref="OutputDiff.Between"/> then checks its outputs against ONNX Runtime's.</summary>
public static class CompareRunner
{
    /// <summary>Loads the case's bytes, feeds its inputs, times <see cref="IOnnxSession.Run"/> and returns the outputs of
    /// the last run.</summary>
    public static EngineResult Measure(IOnnxEngine engine, BenchCase c, int threads, BenchOptions? options = null)
    {
        using var session = engine.Load(c.ModelBytes, threads);
        session.Prepare(c.Inputs);
        var m = BenchTimer.Measure(session.Run, options);
        return new EngineResult(c.Name, engine.Name, m, c.Flops / (m.MedianMs * 1e6), session.Outputs());
    }

    /// <summary>Runs the case once (no timing) and returns its outputs.</summary>
    public static IReadOnlyList<OnnxTensor> RunOnce(IOnnxEngine engine, BenchCase c, int threads)
    {
        using var session = engine.Load(c.ModelBytes, threads);
        session.Prepare(c.Inputs);
        session.Run();
        return session.Outputs();
    }

    /// <summary>The outputs of the case <paramref name="name"/> built for its first <paramref name="batch"/> batch items,
    /// evaluated by <see cref="ReferenceEvaluator"/> (double precision).</summary>
    public static IReadOnlyList<OnnxTensor> ReferenceOutputs(string name, int batch = 1, int seed = 1234)
    {
        var small = BenchModels.Create(name, seed, batch);
        return ReferenceEvaluator.Run(small.Model, small.Inputs);
    }

    /// <summary>Compares the leading batch items of an engine's <paramref name="outputs"/> (benchmark batch) with
    /// <paramref name="reference"/> from <see cref="ReferenceOutputs"/>.</summary>
    public static OutputDiff VerifyAgainstReference(IReadOnlyList<OnnxTensor> outputs, IReadOnlyList<OnnxTensor> reference)
    {
        if (outputs.Count != reference.Count)
            throw new TesseraArgumentException("CompareRunner.VerifyAgainstReference", nameof(outputs), $"{outputs.Count} outputs vs {reference.Count}");
        var leading = outputs.Select((t, i) => LeadingItems(t, reference[i].Dims[0])).ToArray();
        return OutputDiff.Between(leading, reference);
    }

    /// <summary>The first <paramref name="items"/> entries of <paramref name="t"/> along axis 0.</summary>
    public static OnnxTensor LeadingItems(OnnxTensor t, long items)
    {
        if (t.Dims.Length == 0 || items > t.Dims[0])
            throw new TesseraShapeException("CompareRunner.LeadingItems", t.Name, $"cannot take {items} items of [{string.Join(", ", t.Dims)}]");
        long per = t.RawData.LongLength / Math.Max(1, t.Dims[0]);
        long[] dims = [items, .. t.Dims[1..]];
        return new OnnxTensor(t.Name, t.DataType, dims, t.RawData.AsSpan(0, (int)(per * items)).ToArray());
    }

    /// <summary>Sum of all float output elements and whether every one is finite (a cheap fingerprint for the table).</summary>
    public static (double Sum, bool Finite) Fingerprint(IReadOnlyList<OnnxTensor> outputs)
    {
        double sum = 0;
        bool finite = true;
        foreach (var t in outputs.Where(t => t.DataType == OnnxDataType.Float))
            foreach (float v in MemoryMarshal.Cast<byte, float>(t.RawData))
            {
                finite &= float.IsFinite(v);
                sum += v;
            }
        return (sum, finite);
    }
}
