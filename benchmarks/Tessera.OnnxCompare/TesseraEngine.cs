using Tessera.Cpu;
using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>Tessera on the CPU: the model bytes read by <see cref="OnnxReader"/>, imported and compiled by <see cref="OnnxProgram"/>.</summary>
public sealed class TesseraEngine : IOnnxEngine
{
    public string Name => "tessera";

    public IOnnxSession Load(byte[] modelBytes, int threads)
    {
        CpuBackend.Device.Threads = threads;
        return new Session(new OnnxProgram(OnnxReader.ReadModel(modelBytes), CpuBackend.Device));
    }

    private sealed class Session(OnnxProgram program) : IOnnxSession
    {
        public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs) => program.Prepare(inputs);
        public void Run() => program.RunPrepared();
        public IReadOnlyList<OnnxTensor> Outputs() => program.Outputs();
        public void Dispose() => program.Dispose();
    }
}
