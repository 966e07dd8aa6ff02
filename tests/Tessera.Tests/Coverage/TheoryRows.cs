using System.Reflection;
using Tessera.Kernels;

namespace Tessera.Tests.Coverage;

/// <summary>The tests marked with <see cref="CoversAttribute"/> and <see cref="ChecksGradientAttribute"/>, by kind, and
/// the rows of their theories (what xunit would run them with).</summary>
internal static class TheoryRows
{
    private static IEnumerable<MethodInfo> Tests() => typeof(TheoryRows).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));

    /// <summary>Methods marked with <typeparamref name="TMark"/>, by the kinds the marks name.</summary>
    public static ILookup<OpKind, MethodInfo> Marked<TMark>(Func<TMark, IReadOnlyList<OpKind>> kinds) where TMark : Attribute =>
        Tests().SelectMany(m => m.GetCustomAttributes<TMark>().SelectMany(kinds).Select(k => (Kind: k, Method: m)))
            .ToLookup(p => p.Kind, p => p.Method);

    /// <summary>Marks on methods that are not tests of <paramref name="ns"/> (a mark must sit on what it claims to be).</summary>
    public static IEnumerable<string> Misplaced<TMark>(string ns) where TMark : Attribute =>
        Tests().Where(m => m.GetCustomAttributes<TMark>().Any())
            .Where(m => m.GetCustomAttribute<FactAttribute>() is null || m.DeclaringType!.Namespace != ns)
            .Select(m => $"[{typeof(TMark).Name[..^"Attribute".Length]}] on {m.DeclaringType!.Name}.{m.Name}, which is not a test in {ns}");

    private static readonly Dictionary<MethodInfo, object?[][]> Cache = new();

    /// <summary>The argument rows of a test (none for a fact).</summary>
    public static IReadOnlyList<object?[]> Of(MethodInfo m)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(m, out var rows)) return rows;
            rows = m.GetCustomAttributes<InlineDataAttribute>().Select(a => a.Data)
                .Concat(m.GetCustomAttributes<MemberDataAttribute>().SelectMany(a => Member(m, a))).ToArray();
            return Cache[m] = rows;
        }
    }

    /// <summary>The rows a [MemberData] member yields (TheoryData rows or object arrays).</summary>
    private static IEnumerable<object?[]> Member(MethodInfo m, MemberDataAttribute a)
    {
        var type = a.MemberType ?? m.DeclaringType!;
        const BindingFlags any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        object? data = type.GetMember(a.MemberName, any).Single() switch
        {
            MethodInfo method => method.Invoke(null, a.Arguments),
            PropertyInfo property => property.GetValue(null),
            FieldInfo field => field.GetValue(null),
            var other => throw new InvalidOperationException($"[MemberData] {other} of {type.Name}"),
        };
        foreach (var row in (System.Collections.IEnumerable)data!)
            yield return row switch
            {
                ITheoryDataRow r => r.GetData(),
                object?[] values => values,
                _ => throw new InvalidOperationException($"[MemberData] {type.Name}.{a.MemberName} yields {row.GetType().Name}"),
            };
    }

    /// <summary>True when <paramref name="value"/> is an argument of some row of one of <paramref name="tests"/>.</summary>
    public static bool Mention(IEnumerable<MethodInfo> tests, Enum value) =>
        tests.Any(m => Of(m).Any(row => row.Any(a => value.Equals(a))));
}
