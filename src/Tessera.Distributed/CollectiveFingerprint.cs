namespace Tessera.Distributed;

/// <summary>The collectives a communicator runs.</summary>
public enum CollectiveKind
{
    /// <summary>All-reduce.</summary>
    AllReduce,

    /// <summary>Reduce-scatter.</summary>
    ReduceScatter,

    /// <summary>All-gather.</summary>
    AllGather,

    /// <summary>Broadcast.</summary>
    Broadcast,

    /// <summary>Barrier.</summary>
    Barrier,
}

/// <summary>What one rank is about to call, for the debug mode that checks that every rank calls the same collective
/// (<see cref="DebugVariable"/>=DETAIL, as PyTorch's TORCH_DISTRIBUTED_DEBUG=DETAIL does): the kind, the reduction, the
/// element count, the root and the collective's sequence number on this communicator. Before each collective the
/// ranks all-gather their fingerprints (<see cref="ToInts"/>, five ints) and compare them (<see cref="Mismatch"/>); a
/// difference fails on every rank with an error naming both sides, where MPI would hang or mix up buffers.</summary>
public readonly record struct CollectiveFingerprint(CollectiveKind Kind, ReduceOp Op, int Count, int Root, int Sequence)
{
    /// <summary>The environment variable of the debug mode: DETAIL checks every collective; OFF or unset does not.</summary>
    public const string DebugVariable = "TESSERA_DISTRIBUTED_DEBUG";

    /// <summary>Ints per fingerprint in the exchange.</summary>
    public const int Length = 5;

    /// <summary>Whether <see cref="DebugVariable"/> asks for the checks (DETAIL); another value than DETAIL or OFF is an error.</summary>
    public static bool FromEnvironment(string op) => DebugEnabled(Environment.GetEnvironmentVariable(DebugVariable), op);

    /// <summary>Whether a value of <see cref="DebugVariable"/> asks for the checks: DETAIL yes, OFF or nothing no, else an error.</summary>
    public static bool DebugEnabled(string? value, string op)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Equals("OFF", StringComparison.OrdinalIgnoreCase)) return false;
        if (value.Equals("DETAIL", StringComparison.OrdinalIgnoreCase)) return true;
        throw new TesseraArgumentException(op, DebugVariable, $"expected DETAIL or OFF, got '{value}'");
    }

    /// <summary>The fingerprint as the ints exchanged.</summary>
    public int[] ToInts() => [(int)Kind, (int)Op, Count, Root, Sequence];

    /// <summary>The fingerprint at <paramref name="offset"/> of exchanged ints.</summary>
    public static CollectiveFingerprint FromInts(ReadOnlySpan<int> ints, int offset = 0) =>
        new((CollectiveKind)ints[offset], (ReduceOp)ints[offset + 1], ints[offset + 2], ints[offset + 3], ints[offset + 4]);

    /// <summary>"AllReduce (Sum) of 1024 floats" — what the collective is, in errors.</summary>
    public override string ToString() => Kind switch
    {
        CollectiveKind.AllReduce or CollectiveKind.ReduceScatter => $"{Kind} ({Op}) of {Count} floats",
        CollectiveKind.Broadcast => $"Broadcast of {Count} floats from rank {Root}",
        CollectiveKind.Barrier => "Barrier",
        _ => $"{Kind} of {Count} floats",
    };

    /// <summary>Null when every rank's fingerprint equals <paramref name="rank"/>'s, else the error: the collective
    /// number, this rank's call and the first other rank's different call.</summary>
    public static string? Mismatch(int rank, IReadOnlyList<CollectiveFingerprint> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var mine = all[rank];
        for (int r = 0; r < all.Count; r++)
        {
            if (all[r] == mine) continue;
            string seq = all[r].Sequence == mine.Sequence ? $"collective #{mine.Sequence}" : $"collective #{mine.Sequence} here, #{all[r].Sequence} there";
            return $"mismatched collectives ({seq}): rank {rank} calls {mine}, rank {r} calls {all[r]}";
        }
        return null;
    }
}
