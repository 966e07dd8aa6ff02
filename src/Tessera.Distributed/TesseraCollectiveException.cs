namespace Tessera.Distributed;

/// <summary>A collective failed or did not complete in time; the message names the rank and the collective.</summary>
public sealed class TesseraCollectiveException(string op, int rank, string message, Exception? inner = null)
    : TesseraException(op, $"rank {rank}: {message}", inner)
{
    /// <summary>The rank that raised the error.</summary>
    public int Rank { get; } = rank;
}
