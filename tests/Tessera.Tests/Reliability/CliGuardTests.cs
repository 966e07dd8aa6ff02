
namespace Tessera.Tests.Reliability;

/// <summary>The CLI maps every exception to one line (issue 13, D8): bad input exits 2, an internal error exits 1 with a
/// request to report it.</summary>
[Collection(nameof(LimitsCollection))]
public class CliGuardTests
{
    private static (int Code, string[] Lines) Guarded(Func<int> body)
    {
        var saved = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            int code = Tessera.Cli.Cli.Guard(body);
            return (code, err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally { Console.SetError(saved); }
    }

    [Fact]
    public void D8_bad_input_exits_2_with_one_line()
    {
        foreach (var body in new Func<int>[]
        {
            () => throw new TesseraShapeException("op", "x", "bad\nshape"), () => throw new IOException("disk full"),
            () => throw new UnauthorizedAccessException("denied"), () => throw new PathTooLongException("long"),
            () => new byte[Array.MaxLength + 1L].Length,   // a managed out-of-memory ("array dimensions exceeded")
        })
        {
            var (code, lines) = Guarded(body);
            Assert.Equal(Tessera.Cli.Cli.BadInput, code);
            Assert.Single(lines);
            Assert.StartsWith("error:", lines[0]);
        }
    }

    [Fact]
    public void D8_an_internal_error_exits_1_with_one_line_asking_for_a_report()
    {
        var (code, lines) = Guarded(() => throw new InvalidOperationException("unexpected\nstate"));
        Assert.Equal(Tessera.Cli.Cli.InternalError, code);
        Assert.Single(lines);
        Assert.StartsWith("internal error: InvalidOperationException: unexpected state", lines[0]);
        Assert.Contains("please report it", lines[0]);
    }

    [Fact]
    public void A_body_that_succeeds_keeps_its_exit_code() => Assert.Equal((0, Array.Empty<string>()), Guarded(() => 0));
}
