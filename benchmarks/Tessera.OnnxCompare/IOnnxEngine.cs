using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>Something that runs serialized ONNX models: ONNX Runtime here, Tessera's <c>OnnxProgram</c> when the
/// importer is available. Every engine loads the same <see cref="BenchCase.ModelBytes"/>.</summary>
public interface IOnnxEngine
{
    string Name { get; }

    /// <summary>Loads <paramref name="modelBytes"/> to run on <paramref name="threads"/> intra-op threads.</summary>
    IOnnxSession Load(byte[] modelBytes, int threads);
}

/// <summary>A loaded model. <see cref="Prepare"/> feeds the inputs (untimed), <see cref="Run"/> runs one forward pass
/// (timed), <see cref="Outputs"/> copies the last run's outputs out in graph-output order.</summary>
public interface IOnnxSession : IDisposable
{
    void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs);

    void Run();

    IReadOnlyList<OnnxTensor> Outputs();
}
