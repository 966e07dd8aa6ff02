#:package Microsoft.ML.OnnxRuntime@1.31.1
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using System.Text.Json;
var path = args[0]; int reps = int.Parse(args[1]);
var so = new SessionOptions { IntraOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using (var warm = new InferenceSession(path, so)) { }
so.EnableProfiling = true; so.ProfileOutputPathPrefix = "/tmp/ortp";
using var s = new InferenceSession(path, so);
var feeds = new List<NamedOnnxValue>();
foreach (var (name, meta) in s.InputMetadata) {
  var dims = meta.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
  if (meta.ElementType == typeof(float)) { var t = new DenseTensor<float>(dims); var r = new Random(1); for (int i = 0; i < t.Length; i++) t.SetValue(i, (float)r.NextDouble()); feeds.Add(NamedOnnxValue.CreateFromTensor(name, t)); }
  else if (meta.ElementType == typeof(long)) { var t = new DenseTensor<long>(dims); for (int i = 0; i < t.Length; i++) t.SetValue(i, i % 7 + 1); feeds.Add(NamedOnnxValue.CreateFromTensor(name, t)); }
  else if (meta.ElementType == typeof(bool)) { var t = new DenseTensor<bool>(dims); for (int i = 0; i < t.Length; i++) t.SetValue(i, true); feeds.Add(NamedOnnxValue.CreateFromTensor(name, t)); }
}
for (int i = 0; i < reps; i++) { using var o = s.Run(feeds); }
var file = s.EndProfiling();
var doc = JsonDocument.Parse(File.ReadAllText(file));
var agg = new Dictionary<string, (string op, List<double> d)>();
foreach (var e in doc.RootElement.EnumerateArray()) {
  if (e.GetProperty("cat").GetString() != "Node") continue;
  var n = e.GetProperty("name").GetString()!;
  if (!n.EndsWith("_kernel_time")) continue;
  n = n[..^"_kernel_time".Length];
  var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
  if (!agg.TryGetValue(n, out var v)) agg[n] = v = (op, new List<double>());
  v.d.Add(e.GetProperty("dur").GetDouble());
}
double tot = 0;
foreach (var (n, (op, d)) in agg) { d.Sort(); var med = d[d.Count / 2]; tot += med; Console.WriteLine($"{med,9:F1}\t{op}\t{n}"); }
Console.WriteLine($"{tot,9:F1}\tTOTAL");
