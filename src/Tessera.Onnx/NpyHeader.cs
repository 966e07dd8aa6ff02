using System.Globalization;

namespace Tessera.Onnx;

/// <summary>Parses the Python dict literal of a .npy header: <c>{'descr': '&lt;f4', 'fortran_order': False,
/// 'shape': (2, 3), }</c>. Only string, boolean and integer-tuple values are understood.</summary>
internal static class NpyHeader
{
    public static (string Descr, bool Fortran, long[] Shape) Parse(string text, string op)
    {
        var p = new Cursor(text, op);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            string key = p.String();
            p.Expect(':');
            switch (key)
            {
                case "descr": descr = p.String(); break;
                case "fortran_order": fortran = p.Bool(); break;
                case "shape": shape = p.Tuple(); break;
                default: throw p.Error($"unknown header key '{key}'");
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        p.SkipSpace();
        if (!p.AtEnd) throw p.Error("text after the header dict");
        if (descr is null || fortran is null || shape is null)
            throw p.Error("the header lacks one of 'descr', 'fortran_order', 'shape'");
        return (descr, fortran.Value, shape);
    }

    private ref struct Cursor(string text, string op)
    {
        private int _pos;

        public readonly bool AtEnd => _pos >= text.Length;

        public void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        public bool TryTake(char c)
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == c) { _pos++; return true; }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"expected '{c}'");
        }

        public string String()
        {
            SkipSpace();
            if (_pos >= text.Length || text[_pos] is not ('\'' or '"')) throw Error("expected a quoted string");
            char q = text[_pos++];
            int end = text.IndexOf(q, _pos);
            if (end < 0) throw Error("unterminated string");
            string s = text[_pos..end];
            _pos = end + 1;
            return s;
        }

        public bool Bool()
        {
            SkipSpace();
            if (text.AsSpan(_pos).StartsWith("True")) { _pos += 4; return true; }
            if (text.AsSpan(_pos).StartsWith("False")) { _pos += 5; return false; }
            throw Error("expected True or False");
        }

        public long[] Tuple()
        {
            Expect('(');
            var dims = new List<long>();
            while (!TryTake(')'))
            {
                if (dims.Count >= 64) throw Error("shape has more than 64 dimensions");
                SkipSpace();
                int start = _pos;
                while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || text[_pos] == '-')) _pos++;
                // Python 2 era files may write long integers as 3L.
                if (!long.TryParse(text.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long d))
                    throw Error("expected an integer dimension");
                if (_pos < text.Length && text[_pos] == 'L') _pos++;
                dims.Add(d);
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return [.. dims];
        }

        public readonly OnnxFormatException Error(string message) =>
            new(op, $"malformed .npy header at character {_pos}: {message}");
    }
}
