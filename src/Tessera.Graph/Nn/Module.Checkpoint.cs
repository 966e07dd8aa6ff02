using Tessera.Graph.Training;

namespace Tessera.Graph.Nn;

public abstract partial class Module
{
    /// <summary>Saves the parameters ("param/{name}"), the state ("state/{name}") and, when given, the optimizer's state
    /// and step count ("optimizer_steps" in the metadata) as a <see cref="Checkpoint"/> at <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint file (written atomically).</param>
    /// <param name="optimizer">The optimizer whose moments and step count are saved with the module, or null.</param>
    /// <param name="metadata">More metadata to store.</param>
    public void SaveCheckpoint(string path, Optimizer? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = Parameters().Select(p => new Checkpoint.Entry("param/" + p.Name, p.Tensor.Shape.ToArray(), p.Tensor.ToArray<float>()))
            .Concat(State().Select(p => new Checkpoint.Entry("state/" + p.Name, p.Tensor.Shape.ToArray(), p.Tensor.ToArray<float>())));
        var meta = metadata?.ToDictionary(kv => kv.Key, kv => kv.Value) ?? new Dictionary<string, string>();
        if (optimizer is not null)
        {
            entries = entries.Concat(optimizer.ExportState());
            meta["optimizer_steps"] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Checkpoint.Save(path, entries, meta);
    }

    /// <summary>Loads a checkpoint written by <see cref="SaveCheckpoint"/> into this module's tensors (and, when given,
    /// the optimizer's state and step count); returns the checkpoint's metadata.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="optimizer">The optimizer to restore, or null to load the module alone.</param>
    public IReadOnlyDictionary<string, string> LoadCheckpoint(string path, Optimizer? optimizer = null)
    {
        var (entries, values) = Checkpoint.Load(path);
        long steps = 0;
        if (optimizer is not null)
            steps = new CheckpointMetadata(values, "Module.LoadCheckpoint").Whole("optimizer_steps", 0, long.MaxValue);
        Restore(entries, optimizer, steps, "Module.LoadCheckpoint", nameof(path));
        return values;
    }

    /// <summary>Copies checkpoint entries into the parameters and state (every one must be there, of the same shape),
    /// then restores <paramref name="optimizer"/> at <paramref name="steps"/> when given. Errors name
    /// <paramref name="op"/> and <paramref name="argument"/>.</summary>
    public void Restore(IReadOnlyDictionary<string, Checkpoint.Entry> entries, Optimizer? optimizer, long steps, string op, string argument)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (prefix, list) in new[] { ("param/", Parameters()), ("state/", State()) })
            foreach (var (name, t) in list)
            {
                if (!entries.TryGetValue(prefix + name, out var e)) throw new TesseraArgumentException(op, argument, $"checkpoint lacks {prefix}{name}");
                if (!e.Shape.SequenceEqual(t.Shape.ToArray())) throw new TesseraShapeException(op, prefix + name, $"checkpoint shape [{string.Join(", ", e.Shape)}] differs from {t.Shape}");
                t.CopyFrom<float>(e.Data);
            }
        optimizer?.ImportState(entries, steps, Parameters());
    }
}
