namespace Tessera.Graph.Execution;

/// <summary>A timed piece of work outside a plan's nodes (the optimizer step, gradient clipping) for a Chrome trace:
/// its start relative to the plan run's start and its duration, in milliseconds.</summary>
public sealed record TraceSpan(string Name, string Category, double StartMilliseconds, double Milliseconds);
