using System.Runtime.CompilerServices;

// Every binding is blittable (pointers, integers, enums, handle structs): no runtime marshalling.
[assembly: DisableRuntimeMarshalling]
