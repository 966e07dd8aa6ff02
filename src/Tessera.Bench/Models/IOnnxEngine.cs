using Tessera.Onnx;

namespace Tessera.Bench.Models;

/// <summary>Something that runs serialized ONNX models: ONNX Runtime (<see cref="OrtEngine"/>) or Tessera's
/// <c>OnnxProgram</c> (<see cref="TesseraEngine"/>). Engines compared with each other load the same bytes.</summary>
public interface IOnnxEngine
{
    /// <summary>A short name for tables ("onnxruntime", "tessera").</summary>
    string Name { get; }

    /// <summary>Loads <paramref name="modelBytes"/> to run on <paramref name="threads"/> intra-op threads.</summary>
    IOnnxSession Load(byte[] modelBytes, int threads);
}

/// <summary>A loaded model. <see cref="Prepare"/> feeds the inputs (untimed), <see cref="Run"/> runs one forward pass
/// (timed), <see cref="Outputs"/> copies the last run's outputs out in graph-output order.</summary>
public interface IOnnxSession : IDisposable
{
    /// <summary>Feeds the inputs by name (untimed).</summary>
    void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs);

    /// <summary>Runs one forward pass on the prepared inputs and returns when its outputs are complete.</summary>
    void Run();

    /// <summary>The outputs of the last <see cref="Run"/>, copied to the host, in graph-output order.</summary>
    IReadOnlyList<OnnxTensor> Outputs();
}
