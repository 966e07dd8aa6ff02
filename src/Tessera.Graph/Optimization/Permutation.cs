namespace Tessera.Graph.Optimization;

/// <summary>Axis permutations as <see cref="Operators.PermuteGraphOp"/> takes them (output axis i is input axis perm[i]).</summary>
internal static class Permutation
{
    /// <summary>The permutation applying <paramref name="first"/> then <paramref name="second"/>: output axis j of the
    /// second is axis first[second[j]] of the original.</summary>
    public static int[] Compose(IReadOnlyList<int> first, IReadOnlyList<int> second) => second.Select(j => first[j]).ToArray();

    public static bool IsIdentity(IReadOnlyList<int> perm) => perm.Select((a, i) => a == i).All(b => b);

    /// <summary>The permutation of <paramref name="rank"/> axes that swaps the last two.</summary>
    public static int[] SwapLastTwo(int rank)
    {
        var p = Enumerable.Range(0, rank).ToArray();
        (p[rank - 1], p[rank - 2]) = (p[rank - 2], p[rank - 1]);
        return p;
    }

    /// <summary>True for a permutation that swaps the last two axes and keeps the others.</summary>
    public static bool SwapsLastTwo(IReadOnlyList<int> perm) => perm.Count >= 2 && perm.SequenceEqual(SwapLastTwo(perm.Count));
}
