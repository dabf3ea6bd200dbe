namespace Bridge.LoadTest.Reporting;

/// <summary>
/// A hand-written SVG line chart of propagation latency against stream count, both axes log-scaled (latencies span
/// milliseconds to seconds), with the floor for comparison and the target as a dashed line. No plotting packages:
/// the file is small and diffable.
/// </summary>
internal static class SvgPlot
{
    private const int Width = 720;
    private const int Height = 440;
    private const int Left = 70;
    private const int Right = 170;
    private const int Top = 50;
    private const int Bottom = 60;

    public static string Render(SweepResult sweep, double? targetMs, string title)
    {
        var points = sweep.Points.Where(p => p.Propagation.Count > 0).OrderBy(p => p.Streams).ToList();
        var series = new (string Label, string Colour, Func<SweepPoint, double> Value, bool Dashed)[]
        {
            ("bridge p99", "#d62728", p => p.Propagation.P99, false),
            ("bridge p50", "#1f77b4", p => p.Propagation.P50, false),
            ("floor p99 (agent)", "#7f7f7f", p => p.Floor.Count > 0 ? p.Floor.P99 : double.NaN, true),
        };

        var values = points.SelectMany(p => series.Select(s => s.Value(p))).Where(v => !double.IsNaN(v)).ToList();
        if (targetMs is { } t)
        {
            values.Add(t);
        }

        var yMin = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(0.1, values.Count > 0 ? values.Min() : 1))));
        var yMax = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(yMin * 10, values.Count > 0 ? values.Max() : 10))));
        var xMin = Math.Log10(points.Count > 0 ? points.Min(p => p.Streams) : 1);
        var xMax = Math.Log10(points.Count > 0 ? points.Max(p => p.Streams) : 10);
        if (xMax - xMin < 1e-9)
        {
            xMin -= 0.5;
            xMax += 0.5;
        }

        double X(int streams) => Left + ((Math.Log10(streams) - xMin) / (xMax - xMin) * (Width - Left - Right));
        double Y(double ms) => Top + ((1 - ((Math.Log10(Math.Max(ms, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)))) * (Height - Top - Bottom));

        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        Append(svg, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        Append(svg, $"<text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        Append(svg, $"<text x=\"{Width / 2}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{Escape(sweep.Description)}</text>");

        // Axes, grid and ticks.
        for (var ms = yMin; ms <= yMax * 1.001; ms *= 10)
        {
            var y = Y(ms);
            Append(svg, $"<line x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\" stroke=\"#e5e5e5\"/>");
            Append(svg, $"<text x=\"{Left - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{F(ms)}</text>");
        }

        foreach (var p in points)
        {
            var x = X(p.Streams);
            Append(svg, $"<line x1=\"{F(x)}\" y1=\"{Top}\" x2=\"{F(x)}\" y2=\"{Height - Bottom}\" stroke=\"#f0f0f0\"/>");
            Append(svg, $"<text x=\"{F(x)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{p.Streams.ToString("N0", CultureInfo.InvariantCulture)}</text>");
        }

        Append(svg, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        Append(svg, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        Append(svg, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\">concurrent ADS streams (log scale)</text>");
        Append(svg, $"<text transform=\"translate(18 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">change → proxy (ms, log scale)</text>");

        if (targetMs is { } target)
        {
            Append(svg, $"<line x1=\"{Left}\" y1=\"{F(Y(target))}\" x2=\"{Width - Right}\" y2=\"{F(Y(target))}\" stroke=\"#2ca02c\" stroke-dasharray=\"6 4\"/>");
            Append(svg, $"<text x=\"{Width - Right + 6}\" y=\"{F(Y(target) + 4)}\" fill=\"#2ca02c\">target p99 {F(target)} ms</text>");
        }

        var legendY = Top + 10;
        foreach (var (label, colour, value, dashed) in series)
        {
            var line = points.Where(p => !double.IsNaN(value(p))).Select(p => $"{F(X(p.Streams))},{F(Y(value(p)))}").ToList();
            var dash = dashed ? " stroke-dasharray=\"3 3\"" : "";
            if (line.Count > 0)
            {
                Append(svg, $"<polyline points=\"{string.Join(' ', line)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>");
                foreach (var point in line)
                {
                    var xy = point.Split(',');
                    Append(svg, $"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"3\" fill=\"{colour}\"/>");
                }
            }

            legendY += 22;
            Append(svg, $"<line x1=\"{Width - Right + 6}\" y1=\"{legendY}\" x2=\"{Width - Right + 26}\" y2=\"{legendY}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>");
            Append(svg, $"<text x=\"{Width - Right + 30}\" y=\"{legendY + 4}\">{Escape(label)}</text>");
        }

        Append(svg, "</svg>");
        return svg.ToString();
    }

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static void Append(StringBuilder svg, string line) => svg.AppendLine(line);
}
