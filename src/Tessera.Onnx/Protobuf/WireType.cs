namespace Tessera.Onnx.Protobuf;

/// <summary>Protobuf wire types (the low three bits of a field tag). Groups (3, 4) are deprecated and refused.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}
