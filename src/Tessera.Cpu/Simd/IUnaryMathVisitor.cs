namespace Tessera.Cpu.Simd;

/// <summary>Code to run with the math functor of a runtime <see cref="Tessera.Kernels.UnaryOp"/>: <see cref="UnaryDispatch.Visit"/>
/// picks the functor and calls <see cref="Visit"/> with it, so the visitor's loops are specialised (and the functor
/// inlined) per op while the op is chosen once per call.</summary>
internal interface IUnaryMathVisitor
{
    void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath;
}
