namespace Tessera.Graph.Training;

/// <summary>Learning rate as a function of the optimizer step (0-based).</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based).</summary>
    public abstract double At(long step);

    /// <summary>The same rate at every step.</summary>
    public sealed record Constant(double Rate) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override double At(long step) => Rate;
    }

    /// <summary>Rate multiplied by <paramref name="Gamma"/> every <paramref name="StepSize"/> steps.</summary>
    public sealed record StepDecay(double Rate, long StepSize, double Gamma) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override double At(long step) => Rate * Math.Pow(Gamma, step / Math.Max(1, StepSize));
    }

    /// <summary>Linear warm-up from 0 over <paramref name="WarmupSteps"/>, then cosine decay to <paramref name="MinRate"/> at <paramref name="TotalSteps"/>.</summary>
    public sealed record CosineWithWarmup(double Rate, long WarmupSteps, long TotalSteps, double MinRate = 0) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override double At(long step)
        {
            if (WarmupSteps > 0 && step < WarmupSteps) return Rate * (step + 1) / WarmupSteps;
            long span = Math.Max(1, TotalSteps - WarmupSteps);
            double t = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
            return MinRate + 0.5 * (Rate - MinRate) * (1 + Math.Cos(Math.PI * t));
        }
    }
}
