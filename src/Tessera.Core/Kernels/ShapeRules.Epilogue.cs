namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Validates a fused epilogue: its activation is one of <see cref="Epilogue.Activations"/> and its scalars are
    /// those the unary op accepts (ordered bounds for Clamp, a finite slope for LeakyRelu).</summary>
    private static void CheckEpilogue(string op, Epilogue e)
    {
        if (!Epilogue.Activations.Contains(e.Activation))
            throw new TesseraArgumentException(op, "epilogue",
                $"{e.Activation} is not an epilogue activation (one of {string.Join(", ", Epilogue.Activations)})");
        CheckUnaryParams(op, e.Activation, e.Params);
    }

    /// <summary>Refuses a fused epilogue where the kernel computes without one (the gradients of a convolution or product:
    /// fused operators are for inference, their gradient would need the pre-activation values).</summary>
    private static void CheckNoEpilogue(string op, Epilogue e)
    {
        if (!e.IsNone)
            throw new TesseraArgumentException(op, "epilogue", $"a fused epilogue ({e}) has no gradient: fused operators are for inference");
    }
}
