using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process toolchain: no separate project is generated and built per benchmark, so this runs wherever the
// assemblies run (no SDK needed at run time). Pass BenchmarkDotNet arguments through, e.g. --filter '*Dispatch*'.
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10);
var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Tessera.Benchmarks.MicroKernels).Assembly).Run(args, config);
