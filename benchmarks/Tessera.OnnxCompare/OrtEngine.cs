using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>ONNX Runtime on the CPU execution provider: sequential execution, one inter-op thread,
/// <c>threads</c> intra-op threads, all graph optimisations.</summary>
public sealed class OrtEngine : IOnnxEngine
{
    public string Name => "onnxruntime";

    public static string Version => OrtEnv.Instance().GetVersionString();

    public IOnnxSession Load(byte[] modelBytes, int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try { return new Session(new InferenceSession(modelBytes, options)); }
        finally { options.Dispose(); }
    }

    private sealed class Session(InferenceSession session) : IOnnxSession
    {
        private readonly RunOptions _runOptions = new();
        private readonly string[] _outputNames = [.. session.OutputMetadata.Keys];
        private string[] _inputNames = [];
        private OrtValue[] _inputs = [];
        private IDisposableReadOnlyCollection<OrtValue>? _results;

        public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs)
        {
            foreach (var v in _inputs) v.Dispose();
            _inputNames = [.. inputs.Keys];
            _inputs = [.. inputs.Values.Select(ToOrt)];
        }

        public void Run()
        {
            _results?.Dispose();
            _results = session.Run(_runOptions, _inputNames, _inputs, _outputNames);
        }

        public IReadOnlyList<OnnxTensor> Outputs()
        {
            var results = _results ?? throw new TesseraException("OrtEngine", "nothing has run");
            var list = new List<OnnxTensor>();
            int i = 0;
            foreach (var r in results)
            {
                var info = r.GetTensorTypeAndShape();
                var (type, bytes) = info.ElementDataType switch
                {
                    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => (OnnxDataType.Float, MemoryMarshal.AsBytes(r.GetTensorDataAsSpan<float>()).ToArray()),
                    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => (OnnxDataType.Int64, MemoryMarshal.AsBytes(r.GetTensorDataAsSpan<long>()).ToArray()),
                    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int32 => (OnnxDataType.Int32, MemoryMarshal.AsBytes(r.GetTensorDataAsSpan<int>()).ToArray()),
                    var t => throw new TesseraDTypeException("OrtEngine", _outputNames[i], $"output type {t} is not compared"),
                };
                list.Add(new OnnxTensor(_outputNames[i++], type, info.Shape, bytes));
            }
            return list;
        }

        private static OrtValue ToOrt(OnnxTensor t) => t.DataType switch
        {
            OnnxDataType.Float => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, float>(t.RawData).ToArray(), t.Dims),
            OnnxDataType.Int64 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, long>(t.RawData).ToArray(), t.Dims),
            OnnxDataType.Int32 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, int>(t.RawData).ToArray(), t.Dims),
            _ => throw new TesseraDTypeException("OrtEngine", t.Name, $"input type {t.DataType} is not fed"),
        };

        public void Dispose()
        {
            _results?.Dispose();
            foreach (var v in _inputs) v.Dispose();
            _runOptions.Dispose();
            session.Dispose();
        }
    }
}
