using System.Text.Json;

namespace Tessera.Graph.Execution;

/// <summary>Writes a profiled run as Chrome trace-event JSON (the format chrome://tracing and Perfetto open): one
/// complete event ("ph":"X") per node with its start and duration in microseconds.</summary>
public static class ChromeTrace
{
    /// <summary>Writes the last profiled run of <paramref name="plan"/>, one complete event per node, followed by
    /// <paramref name="spans"/> (work of the same step outside the plan, such as the optimizer step).</summary>
    public static void Write(ExecutionPlan plan, Stream stream, string processName = "tessera", IReadOnlyList<TraceSpan>? spans = null)
    {
        if (plan.NodeStartMilliseconds.Count != plan.Schedule.Count)
            throw new TesseraArgumentException("ChromeTrace.Write", nameof(plan), "the plan has no profiled run (set Profile = true and Run it first)");
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        w.WriteStartObject();
        w.WriteString("displayTimeUnit", "ms");
        w.WriteStartArray("traceEvents");
        w.WriteStartObject();
        w.WriteString("name", "process_name");
        w.WriteString("ph", "M");
        w.WriteNumber("pid", 1);
        w.WriteNumber("tid", 1);
        w.WriteStartObject("args");
        w.WriteString("name", $"{processName} ({plan.Device.Id}: {plan.Device.Name})");
        w.WriteEndObject();
        w.WriteEndObject();
        for (int i = 0; i < plan.Schedule.Count; i++)
        {
            var n = plan.Schedule[i];
            w.WriteStartObject();
            w.WriteString("name", n.Name);
            w.WriteString("cat", n.Op.Kind);
            w.WriteString("ph", "X");
            w.WriteNumber("ts", Math.Round(plan.NodeStartMilliseconds[i] * 1000, 3));
            w.WriteNumber("dur", Math.Round(plan.NodeMilliseconds[i] * 1000, 3));
            w.WriteNumber("pid", 1);
            w.WriteNumber("tid", 1);
            w.WriteStartObject("args");
            w.WriteString("op", n.Op.Describe());
            w.WriteString("outputs", string.Join("; ", n.Outputs.Select(o => $"{o.DType.ShortName()}{o.Shape}")));
            double flops = n.Op.Flops(n);
            if (flops > 0 && plan.NodeMilliseconds[i] > 0) w.WriteNumber("gflops", Math.Round(flops / (plan.NodeMilliseconds[i] * 1e6), 3));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        foreach (var span in spans ?? Array.Empty<TraceSpan>())
        {
            w.WriteStartObject();
            w.WriteString("name", span.Name);
            w.WriteString("cat", span.Category);
            w.WriteString("ph", "X");
            w.WriteNumber("ts", Math.Round(span.StartMilliseconds * 1000, 3));
            w.WriteNumber("dur", Math.Round(span.Milliseconds * 1000, 3));
            w.WriteNumber("pid", 1);
            w.WriteNumber("tid", 1);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
