using Tessera.Devices;
using Tessera.Graph.Optimization;
using Tessera.Onnx;

namespace Tessera.Bench.Models;

/// <summary>Tessera on <paramref name="device"/>: the model bytes read by <see cref="OnnxReader"/>, imported,
/// optimized at <paramref name="optimization"/> and compiled by <see cref="OnnxProgram"/>. The device's thread count is the caller's to set (the <c>threads</c> argument of
/// <see cref="Load(byte[], int)"/> is not used: a device is shared by everything that runs on it).</summary>
public sealed class TesseraEngine(IDevice device, OptimizationLevel optimization = OptimizationLevel.All) : IOnnxEngine
{
    /// <inheritdoc/>
    public string Name => "tessera";

    /// <inheritdoc/>
    public IOnnxSession Load(byte[] modelBytes, int threads) => Load(OnnxReader.ReadModel(modelBytes));

    /// <summary>Loads an already parsed model.</summary>
    public IOnnxSession Load(OnnxModel model) => new Session(new OnnxProgram(model, device, optimization));

    private sealed class Session(OnnxProgram program) : IOnnxSession
    {
        public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs) => program.Prepare(inputs);
        public void Run() => program.RunPrepared();
        public IReadOnlyList<OnnxTensor> Outputs() => program.Outputs();
        public void Dispose() => program.Dispose();
    }
}
