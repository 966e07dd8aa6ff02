using System.Runtime.CompilerServices;

// Every binding is blittable (pointers, integers, handle values): no runtime marshalling.
[assembly: DisableRuntimeMarshalling]
