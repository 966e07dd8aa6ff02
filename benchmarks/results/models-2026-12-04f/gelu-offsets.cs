// GELU (erf, or tanh with the argument "tanh") over 16M floats with the output at offsets from the input: does buffer
// placement explain the bench's slow GELU runs? Run from this folder: dotnet run gelu-offsets.cs -c Release
#:project ../../../src/Tessera.Cpu/Tessera.Cpu.csproj
#:property AllowUnsafeBlocks=true
using System.Diagnostics;
using Tessera;
using Tessera.Cpu;
using Tessera.Kernels;
var dev = new CpuDevice();
dev.Threads = 1;
int n = 1 << 24;
var big = Tensor.Empty(dev, DType.Float32, 3 * n);
var rnd = new Random(1); var data = new float[3*n]; for (int i = 0; i < data.Length; i++) data[i] = (float)(rnd.NextDouble()*8-4);
var src = Tensor.FromArray(dev, data, 3*n); big.CopyFrom<float>(data);
var op = args.Length > 0 && args[0] == "tanh" ? UnaryOp.GeluTanh : UnaryOp.GeluErf;
foreach (long d in new long[]{0, 64, 128, 256, 512, 1024, 2048, 3072, 4096-64, 4096, 4096+64, 4096*2, 4096*16, 4096*16+1024, 1<<20, (1<<20)+2048})
{
    var x = Tensor.View(dev, big.Storage.Buffer, 0, DType.Float32, new Shape(n));
    var y = Tensor.View(dev, big.Storage.Buffer, (long)n * 4 + d, DType.Float32, new Shape(n));
    for (int w = 0; w < 150; w++) dev.Kernels.Unary(op, x, y, default);
    var ts = new List<double>();
    for (int r = 0; r < 15; r++) { var sw = Stopwatch.StartNew(); dev.Kernels.Unary(op, x, y, default); ts.Add(sw.Elapsed.TotalMilliseconds); }
    ts.Sort(); Console.WriteLine($"y-x = n*4 + {d,8}  (mod 4096: {(n*4L+d)%4096,5})  median {ts[7]:F2} ms");
}
