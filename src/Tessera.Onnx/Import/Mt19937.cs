namespace Tessera.Onnx.Import;

/// <summary>The Mersenne Twister MT19937 (Matsumoto &amp; Nishimura, 1998), written from the published algorithm: state of
/// 624 32-bit words seeded by <c>init_genrand</c>, tempered 32-bit outputs, and <c>genrand_res53</c> doubles in [0, 1)
/// from two successive outputs. With an integer seed this is the generator behind NumPy's legacy
/// <c>np.random.seed(seed); np.random.random_sample(...)</c>, which the ONNX reference uses for seeded Dropout.</summary>
internal sealed class Mt19937
{
    private const int N = 624, M = 397;
    private const uint MatrixA = 0x9908B0DFu, UpperMask = 0x80000000u, LowerMask = 0x7FFFFFFFu;

    private readonly uint[] _mt = new uint[N];
    private int _mti;

    /// <summary>Seeds the state the way <c>init_genrand(seed)</c> does.</summary>
    public Mt19937(uint seed)
    {
        _mt[0] = seed;
        for (int i = 1; i < N; i++)
            _mt[i] = unchecked(1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i);
        _mti = N;
    }

    /// <summary>The next tempered 32-bit output (<c>genrand_int32</c>).</summary>
    public uint NextUInt32()
    {
        if (_mti >= N) Twist();
        uint y = _mt[_mti++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A double in [0, 1) with 53-bit resolution (<c>genrand_res53</c>): (a·2^26 + b) / 2^53 with a the top 27
    /// bits of one output and b the top 26 bits of the next.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private void Twist()
    {
        for (int k = 0; k < N; k++)
        {
            uint y = (_mt[k] & UpperMask) | (_mt[(k + 1) % N] & LowerMask);
            _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        _mti = 0;
    }
}
