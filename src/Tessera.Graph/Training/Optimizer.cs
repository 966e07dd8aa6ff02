using Tessera.Kernels;

namespace Tessera.Graph.Training;

/// <summary>Updates parameters from their gradients with one fused kernel per parameter. State (momentum buffers,
/// Adam moments) is created on the parameter's device at the first step and can be saved and restored. An optimizer
/// built over a module's parameters (<c>new Adam(model.Parameters(), lr: 1e-3)</c>) knows what it trains, so a
/// <see cref="TrainStep"/> can differentiate a loss with respect to them and step it; one built over a schedule alone is
/// stepped with explicit (name, parameter, gradient) triples.</summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<string, Tensor[]> _state = new();
    private (string Name, Tensor Tensor)[] _parameters = [];

    /// <param name="schedule">The learning rate per step.</param>
    protected Optimizer(LearningRateSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Schedule = schedule;
    }

    /// <summary>The learning rate per step.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>The parameters the optimizer trains (empty when it was built over a schedule alone).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Parameters => _parameters;

    /// <summary>Makes <paramref name="parameters"/> the ones this optimizer trains (names must be distinct, tensors Float32).</summary>
    protected void Bind(IEnumerable<(string Name, Tensor Tensor)> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        string op = $"{GetType().Name}";
        var list = parameters.ToArray();
        if (list.Length == 0) throw new TesseraArgumentException(op, nameof(parameters), "no parameters to train");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in list)
        {
            if (!seen.Add(name)) throw new TesseraArgumentException(op, nameof(parameters), $"parameter '{name}' is listed twice");
            if (t.DType != DType.Float32) throw new TesseraDTypeException(op, name, $"parameters must be Float32, got {t.DType}");
        }
        _parameters = list;
    }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Learning rate of the next step.</summary>
    public double CurrentRate => Schedule.At(StepCount);

    /// <summary>Names of the state tensors kept per parameter ("m", "v", "velocity").</summary>
    protected abstract string[] StateNames { get; }

    /// <summary>Names of the state tensors kept per parameter ("m", "v", "velocity"), as checkpoints name them
    /// ("optim.{state}/{parameter}").</summary>
    public IReadOnlyList<string> StateKinds => StateNames;

    /// <summary>Bytes of optimizer state this process holds (the moments and buffers created so far).</summary>
    public virtual long StateBytes => _state.Values.Sum(st => st.Sum(t => t.ElementCount * sizeof(float)));

    /// <summary>Updates <paramref name="param"/> in place from <paramref name="grad"/> and its <paramref name="state"/> (one tensor per <see cref="StateNames"/>) at learning rate <paramref name="lr"/>; <paramref name="step"/> is the number of steps taken before this one.</summary>
    protected abstract void Update(IKernels kernels, Tensor param, Tensor grad, Tensor[] state, float lr, long step);

    /// <summary>One step over every (name, parameter, gradient).</summary>
    public virtual void Step(IEnumerable<(string Name, Tensor Param, Tensor Grad)> parameters)
    {
        float lr = (float)CurrentRate;
        foreach (var (name, p, g) in parameters)
        {
            if (p.Shape != g.Shape) throw new TesseraShapeException($"{GetType().Name}.Step", name, $"gradient {g.Shape} does not match parameter {p.Shape}");
            if (!_state.TryGetValue(name, out var st))
            {
                st = StateNames.Select(_ => Tensor.Zeros(p.Device, DType.Float32, p.Shape.ToArray())).ToArray();
                _state[name] = st;
            }
            Update(p.Device.Kernels, p, g, st, lr, StepCount);
        }
        StepCount++;
    }

    /// <summary>State as checkpoint entries named "optim.{state}/{param}", plus the step count in metadata.</summary>
    public virtual IEnumerable<Checkpoint.Entry> ExportState() =>
        _state.SelectMany(kv => StateNames.Select((s, i) => new Checkpoint.Entry($"optim.{s}/{kv.Key}", kv.Value[i].Shape.ToArray(), kv.Value[i].ToArray<float>())));

    /// <summary>Restores state exported by <see cref="ExportState"/>; parameters give the device and shapes.</summary>
    public virtual void ImportState(IReadOnlyDictionary<string, Checkpoint.Entry> entries, long stepCount, IEnumerable<(string Name, Tensor Param)> parameters)
    {
        foreach (var (name, p) in parameters)
        {
            var st = new Tensor[StateNames.Length];
            for (int i = 0; i < StateNames.Length; i++)
            {
                string key = $"optim.{StateNames[i]}/{name}";
                if (!entries.TryGetValue(key, out var e))
                    throw new TesseraArgumentException($"{GetType().Name}.ImportState", key, "missing from the checkpoint");
                if (!e.Shape.SequenceEqual(p.Shape.ToArray()))
                    throw new TesseraShapeException($"{GetType().Name}.ImportState", key, $"shape [{string.Join(", ", e.Shape)}] does not match parameter {p.Shape}");
                st[i] = Tensor.FromArray(p.Device, e.Data, e.Shape);
            }
            if (_state.Remove(name, out var old)) foreach (var t in old) t.Dispose();
            _state[name] = st;
        }
        StepCount = stepCount;
    }

    /// <summary>Disposes the optimizer's state tensors.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the state tensors; a subclass that owns more frees it too.</summary>
    protected virtual void Dispose(bool disposing)
    {
        foreach (var st in _state.Values) foreach (var t in st) t.Dispose();
        _state.Clear();
    }
}

/// <summary>Plain SGD with optional weight decay.</summary>
public sealed class Sgd(LearningRateSchedule schedule, float weightDecay = 0) : Optimizer(schedule)
{
    /// <summary>SGD over <paramref name="parameters"/> at rate <paramref name="lr"/>, or at <paramref name="schedule"/>'s rates when given.</summary>
    public Sgd(IEnumerable<(string Name, Tensor Tensor)> parameters, double lr = 1e-2, float weightDecay = 0, LearningRateSchedule? schedule = null)
        : this(schedule ?? new LearningRateSchedule.Constant(lr), weightDecay) => Bind(parameters);

    /// <inheritdoc/>
    protected override string[] StateNames => Array.Empty<string>();

    /// <inheritdoc/>
    protected override void Update(IKernels kernels, Tensor param, Tensor grad, Tensor[] state, float lr, long step) =>
        kernels.SgdStep(param, grad, new SgdParams(lr, weightDecay));
}

/// <summary>SGD with momentum (classic or Nesterov).</summary>
public sealed class Momentum(LearningRateSchedule schedule, float momentum = 0.9f, bool nesterov = false, float weightDecay = 0, float dampening = 0)
    : Optimizer(schedule)
{
    /// <summary>Momentum SGD over <paramref name="parameters"/> at rate <paramref name="lr"/>, or at <paramref name="schedule"/>'s rates when given.</summary>
    public Momentum(IEnumerable<(string Name, Tensor Tensor)> parameters, double lr = 1e-2, float momentum = 0.9f, bool nesterov = false,
        float weightDecay = 0, float dampening = 0, LearningRateSchedule? schedule = null)
        : this(schedule ?? new LearningRateSchedule.Constant(lr), momentum, nesterov, weightDecay, dampening) => Bind(parameters);

    /// <inheritdoc/>
    protected override string[] StateNames => new[] { "velocity" };

    /// <inheritdoc/>
    protected override void Update(IKernels kernels, Tensor param, Tensor grad, Tensor[] state, float lr, long step) =>
        kernels.MomentumStep(param, grad, state[0], new MomentumParams(lr, momentum, dampening, weightDecay, nesterov, step + 1));
}

/// <summary>Adam (L2 weight decay) or AdamW (decoupled weight decay).</summary>
public sealed class Adam(LearningRateSchedule schedule, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
    float weightDecay = 0, bool decoupled = false) : Optimizer(schedule)
{
    /// <summary>Adam over <paramref name="parameters"/> at rate <paramref name="lr"/>, or at <paramref name="schedule"/>'s rates when given.</summary>
    public Adam(IEnumerable<(string Name, Tensor Tensor)> parameters, double lr = 1e-3, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0, bool decoupled = false, LearningRateSchedule? schedule = null)
        : this(schedule ?? new LearningRateSchedule.Constant(lr), beta1, beta2, epsilon, weightDecay, decoupled) => Bind(parameters);

    /// <inheritdoc/>
    protected override string[] StateNames => new[] { "m", "v" };

    /// <inheritdoc/>
    protected override void Update(IKernels kernels, Tensor param, Tensor grad, Tensor[] state, float lr, long step) =>
        kernels.AdamStep(param, grad, state[0], state[1], new AdamParams(lr, beta1, beta2, epsilon, weightDecay, decoupled, step + 1));
}
