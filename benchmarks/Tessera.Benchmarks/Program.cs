using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process toolchain: no separate project is generated and built per benchmark, so this runs wherever the
// assemblies run (no SDK needed at run time). Pass BenchmarkDotNet arguments through, e.g. --filter '*Dispatch*'.
// Warm-up: BenchmarkDotNet's automatic warm-up (it stops when the last iterations agree), but at least 20 and at most
// 100 iterations. In process, the benchmarks run under the host's tiered JIT: code is first compiled quickly and
// recompiled with full optimisation (and dynamic PGO) after 30 calls and a 100 ms delay, so a method that is called
// rarely per iteration (the executor's dispatch loop runs once per 1000 nodes) needs many iterations before the
// optimised code is measured. 3 warm-ups measured tier-0 code falling from 101 to 33 ns per node.
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithMinWarmupCount(20).WithMaxWarmupCount(100).WithIterationCount(15);
var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Tessera.Benchmarks.MicroKernels).Assembly).Run(args, config);
