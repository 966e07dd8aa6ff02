using Microsoft.ML.OnnxRuntime;

namespace Tessera.Bench.Baselines;

/// <summary>ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, CPU execution provider) on a single-node model written by
/// <see cref="OnnxModelWriter"/>. Inputs and outputs are pre-bound OrtValues over pinned host arrays, so a timed call
/// is one <c>InferenceSession.Run</c> with no allocation of tensors.</summary>
public static class OnnxRuntimeBaseline
{
    private static readonly Lazy<(string? Version, string? Error)> Probe = new(() =>
    {
        try { return (OrtEnv.Instance().GetVersionString(), null); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or OnnxRuntimeException or EntryPointNotFoundException)
        {
            return (null, $"onnxruntime native library not loadable: {e.GetBaseException().Message.Split('\n')[0]}");
        }
    });

    /// <summary>The runtime's version, or null when it does not load.</summary>
    public static string? Version => Probe.Value.Version;

    /// <summary>A baseline running <paramref name="opType"/> on the host inputs named <paramref name="inputs"/> (their
    /// names become the graph's input names).</summary>
    public static BaselineSpec Node(string opType, string[] inputs, (string Name, int[] Shape)[] outputs,
        OnnxModelWriter.AttributeSpec[]? attributes = null, int opset = 17) =>
        new($"ONNX Runtime {opType}", (inst, threads) =>
        {
            if (Probe.Value.Error is { } why) throw new BaselineUnavailableException(why);
            var host = inputs.Select(n => inst.Context.Host[n]).ToArray();
            var model = OnnxModelWriter.SingleNode(opType, host.Select(h => (h.Name, h.Shape)).ToArray(), outputs, attributes, opset);
            var options = OrtSessionOptions.Create(threads);
            var owned = new Owned();
            owned.Add(options);
            try
            {
                var session = owned.Add(new InferenceSession(model, options));
                var inValues = host.Select(h => owned.Add(OrtValue.CreateTensorValueFromMemory(h.Data, Array.ConvertAll(h.Shape, d => (long)d)))).ToArray();
                var outArrays = outputs.Select(o => new float[Tessera.Reference.RefTensor.Count(o.Shape)]).ToArray();
                var outValues = outputs.Select((o, i) => owned.Add(OrtValue.CreateTensorValueFromMemory(
                    outArrays[i], Array.ConvertAll(o.Shape, d => (long)d)))).ToArray();
                var runOptions = owned.Add(new RunOptions());
                var inNames = host.Select(h => h.Name).ToArray();
                var outNames = outputs.Select(o => o.Name).ToArray();
                return new BaselineRun(() => session.Run(runOptions, inNames, inValues, outNames, outValues), owned, outArrays[0]);
            }
            catch (OnnxRuntimeException e)
            {
                owned.Dispose();
                throw new BaselineUnavailableException($"ONNX Runtime rejected the {opType} model: {e.Message.Split('\n')[0]}");
            }
        });

    /// <summary>The ONNX Runtime baseline of an op it has no operator for: always missing, with the reason.</summary>
    public static BaselineSpec NoOperator(string reason) => new("ONNX Runtime", (_, _) => throw new BaselineUnavailableException(reason));

    private sealed class Owned : IDisposable
    {
        private readonly List<IDisposable> _items = new();
        public T Add<T>(T d) where T : IDisposable { _items.Add(d); return d; }
        public void Dispose() { for (int i = _items.Count - 1; i >= 0; i--) _items[i].Dispose(); _items.Clear(); }
    }
}
