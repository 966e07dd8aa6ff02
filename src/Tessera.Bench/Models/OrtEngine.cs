using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tessera.Onnx;
using InferenceSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace Tessera.Bench.Models;

/// <summary>ONNX Runtime on the CPU execution provider with <see cref="OrtSessionOptions"/>. After the first run the
/// outputs are bound to buffers of the shapes that run produced, so a timed <see cref="IOnnxSession.Run"/> is one
/// <c>InferenceSession.Run</c> that allocates no tensors (ONNX Runtime's best case, as in
/// <see cref="Baselines.OnnxRuntimeBaseline"/>).</summary>
public sealed class OrtEngine : IOnnxEngine
{
    /// <inheritdoc/>
    public string Name => "onnxruntime";

    /// <summary>The runtime's version (throws when the native library does not load).</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    /// <inheritdoc/>
    public IOnnxSession Load(byte[] modelBytes, int threads)
    {
        var options = OrtSessionOptions.Create(threads);
        try { return new Session(new InferenceSession(modelBytes, options)); }
        catch (OnnxRuntimeException e) { throw new TesseraBackendException("onnxruntime", $"rejected the model: {e.Message.Split('\n')[0]}", e); }
        finally { options.Dispose(); }
    }

    private sealed class Session(InferenceSession session) : IOnnxSession
    {
        private readonly RunOptions _runOptions = new();
        private readonly string[] _outputNames = [.. session.OutputMetadata.Keys];
        private string[] _inputNames = [];
        private OrtValue[] _inputs = [];
        private OrtValue[]? _outputs;

        public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs)
        {
            DisposeValues();
            _inputNames = [.. inputs.Keys];
            _inputs = [.. inputs.Values.Select(ToOrt)];
        }

        public void Run()
        {
            if (_outputs is not null)
            {
                session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
                return;
            }
            // The first run allocates its outputs; they are copied into host buffers that later runs write into.
            try
            {
                using var first = session.Run(_runOptions, _inputNames, _inputs, _outputNames);
                _outputs = [.. first.Select((r, i) => CopyOf(r, _outputNames[i]))];
            }
            catch (OnnxRuntimeException e) { throw new TesseraBackendException("onnxruntime", $"the run failed: {e.Message.Split('\n')[0]}", e); }
        }

        public IReadOnlyList<OnnxTensor> Outputs()
        {
            var values = _outputs ?? throw new TesseraException("OrtEngine", "nothing has run");
            var list = new List<OnnxTensor>();
            for (int i = 0; i < values.Length; i++)
            {
                var info = values[i].GetTensorTypeAndShape();
                var (type, bytes) = info.ElementDataType switch
                {
                    TensorElementType.Float => (OnnxDataType.Float, MemoryMarshal.AsBytes(values[i].GetTensorDataAsSpan<float>()).ToArray()),
                    TensorElementType.Int64 => (OnnxDataType.Int64, MemoryMarshal.AsBytes(values[i].GetTensorDataAsSpan<long>()).ToArray()),
                    TensorElementType.Int32 => (OnnxDataType.Int32, MemoryMarshal.AsBytes(values[i].GetTensorDataAsSpan<int>()).ToArray()),
                    TensorElementType.Bool => (OnnxDataType.Bool, MemoryMarshal.AsBytes(values[i].GetTensorDataAsSpan<bool>()).ToArray()),
                    var t => throw new TesseraDTypeException("OrtEngine", _outputNames[i], $"output type {t} is not compared"),
                };
                list.Add(new OnnxTensor(_outputNames[i], type, info.Shape, bytes));
            }
            return list;
        }

        /// <summary>A host copy of an output value, of its shape and element type.</summary>
        private static OrtValue CopyOf(OrtValue r, string name)
        {
            var info = r.GetTensorTypeAndShape();
            return info.ElementDataType switch
            {
                TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(r.GetTensorDataAsSpan<float>().ToArray(), info.Shape),
                TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(r.GetTensorDataAsSpan<long>().ToArray(), info.Shape),
                TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(r.GetTensorDataAsSpan<int>().ToArray(), info.Shape),
                TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(r.GetTensorDataAsSpan<bool>().ToArray(), info.Shape),
                var t => throw new TesseraDTypeException("OrtEngine", name, $"output type {t} is not compared"),
            };
        }

        private static OrtValue ToOrt(OnnxTensor t) => t.DataType switch
        {
            OnnxDataType.Float => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, float>(t.RawData).ToArray(), t.Dims),
            OnnxDataType.Int64 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, long>(t.RawData).ToArray(), t.Dims),
            OnnxDataType.Int32 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, int>(t.RawData).ToArray(), t.Dims),
            OnnxDataType.Bool => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, bool>(t.RawData).ToArray(), t.Dims),
            _ => throw new TesseraDTypeException("OrtEngine", t.Name, $"input type {t.DataType} is not fed"),
        };

        private void DisposeValues()
        {
            foreach (var v in _outputs ?? []) v.Dispose();
            _outputs = null;
            foreach (var v in _inputs) v.Dispose();
            _inputs = [];
        }

        public void Dispose()
        {
            DisposeValues();
            _runOptions.Dispose();
            session.Dispose();
        }
    }
}
