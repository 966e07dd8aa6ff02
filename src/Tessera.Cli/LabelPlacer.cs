using ScottPlot;

namespace Tessera.Cli;

/// <summary>Places text labels next to points without overlapping each other, the points or the plot's edge: after the
/// plot is laid out once, each label tries positions around its point, nearest first (then further away, with a leader
/// line), and takes the first free one, or the least-covered one when none is free.</summary>
internal sealed class LabelPlacer(Plot plot, int width, int height, float fontSize)
{
    private readonly List<(string Text, Coordinates At, Color Color)> _labels = new();

    /// <summary>A screen rectangle (y grows downwards: Top &lt; Bottom).</summary>
    private readonly record struct Box(float Left, float Right, float Top, float Bottom)
    {
        public float Width => Right - Left;
        public float Height => Bottom - Top;
    }

    public void Add(string text, Coordinates at, Color color) => _labels.Add((text, at, color));

    /// <summary>Lays the plot out at its final size and adds every label (and leader line) to it.</summary>
    public void Place()
    {
        plot.GetImage(width, height);  // lays out the axes so that coordinates map to pixels
        var rect = plot.RenderManager.LastRender.DataRect;
        var data = new Box(rect.Left, rect.Right, Math.Min(rect.Top, rect.Bottom), Math.Max(rect.Top, rect.Bottom));
        var points = _labels.Select(l => plot.GetPixel(l.At)).ToList();
        var taken = points.Select(p => new Box(p.X - 6, p.X + 6, p.Y - 6, p.Y + 6)).ToList();
        float lineHeight = fontSize * 1.35f;
        foreach (var ((text, at, color), p) in _labels.Zip(points))
        {
            float w = fontSize * 0.6f * text.Length + 4, h = lineHeight;
            Box best = default;
            double bestCover = double.MaxValue;
            float bestDistance = 0;
            foreach (var (dx, dy, dist) in Candidates(w, h))
            {
                var r = new Box(p.X + dx, p.X + dx + w, p.Y + dy, p.Y + dy + h);
                double cover = taken.Sum(t => Overlap(r, t)) + Outside(r, data) * 4;
                if (cover < bestCover) { best = r; bestCover = cover; bestDistance = dist; }
                if (cover < 1) break;  // less than a pixel covered: free
            }
            taken.Add(best);
            var anchor = plot.GetCoordinates(new Pixel(best.Left, best.Top));
            var label = plot.Add.Text(text, anchor);
            label.LabelAlignment = Alignment.UpperLeft;
            label.LabelFontSize = fontSize;
            label.LabelFontColor = color;
            if (bestDistance > 14)
            {
                // A leader line from the point to the nearest side of its label.
                float lx = Math.Clamp(p.X, best.Left, best.Right), ly = Math.Clamp(p.Y, best.Top, best.Bottom);
                var line = plot.Add.Line(at, plot.GetCoordinates(new Pixel(lx, ly)));
                line.LineColor = color.WithAlpha(0.6); line.LineWidth = 1;
            }
        }
    }

    /// <summary>Top-left offsets around a point, in rings of growing distance: right, left, above, below and diagonals.</summary>
    private static IEnumerable<(float Dx, float Dy, float Distance)> Candidates(float w, float h)
    {
        foreach (float d in new[] { 7f, 22f, 40f, 62f, 90f, 125f })
        {
            yield return (d, -h / 2, d);
            yield return (-d - w, -h / 2, d);
            yield return (d * 0.7f, -d * 0.7f - h, d);
            yield return (d * 0.7f, d * 0.7f, d);
            yield return (-d * 0.7f - w, -d * 0.7f - h, d);
            yield return (-d * 0.7f - w, d * 0.7f, d);
            yield return (-w / 2, -d - h, d);
            yield return (-w / 2, d, d);
        }
    }

    private static double Overlap(Box a, Box b)
    {
        double x = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
        double y = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
        return x > 0 && y > 0 ? x * y : 0;
    }

    private static double Outside(Box r, Box area) =>
        Math.Max(0, r.Width * r.Height - Overlap(r, area));
}
