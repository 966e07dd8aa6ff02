using Tessera.Memory;

namespace Tessera.Tests.Reliability;

/// <summary>Tests that change process-wide state (<see cref="MemoryLimits.Current"/>, environment variables,
/// <see cref="Console.Error"/>) run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(LimitsCollection), DisableParallelization = true)]
public sealed class LimitsCollection;

/// <summary>Sets <see cref="MemoryLimits.Current"/> for the length of a test and restores it.</summary>
internal sealed class LimitsScope : IDisposable
{
    private readonly MemoryLimits _saved = MemoryLimits.Current;

    public LimitsScope(MemoryLimits limits) => MemoryLimits.Current = limits;

    public void Dispose() => MemoryLimits.Current = _saved;
}
