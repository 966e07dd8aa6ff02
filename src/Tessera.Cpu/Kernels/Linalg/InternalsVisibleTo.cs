using System.Runtime.CompilerServices;

// The conformance tests drive Sgemm's fallback micro-kernels directly.
[assembly: InternalsVisibleTo("Tessera.Tests")]
