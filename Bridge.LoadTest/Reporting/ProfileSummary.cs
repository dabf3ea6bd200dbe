namespace Bridge.LoadTest.Reporting;

/// <summary>
/// Reads a speedscope file converted from a <c>dotnet-trace</c> thread-time trace of the bridge and ranks methods by
/// the managed CPU spent in them, callees included. Samples of threads waiting (a leaf other than the converter's
/// <c>CPU_TIME</c> marker) are left out, so the ranking answers "where does the bridge compute", not "where does it wait".
/// </summary>
internal static class ProfileSummary
{
    private const string RunningMarker = "CPU_TIME";

    public static string Render(string speedscopePath, int top)
    {
        using var file = File.OpenRead(speedscopePath);
        using var document = JsonDocument.Parse(file);
        var root = document.RootElement;
        var frames = root.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString() ?? "?").ToArray();
        var inclusive = new double[frames.Length];
        var total = 0.0;
        foreach (var profile in root.GetProperty("profiles").EnumerateArray())
        {
            if (!profile.TryGetProperty("events", out var events))
            {
                continue;
            }

            var stack = new List<int>();
            double? last = null;
            foreach (var e in events.EnumerateArray())
            {
                var at = e.GetProperty("at").GetDouble();
                if (last is { } since && stack.Count > 0 && frames[stack[^1]] == RunningMarker)
                {
                    var weight = at - since;
                    total += weight;
                    foreach (var frame in stack.Distinct())
                    {
                        inclusive[frame] += weight;
                    }
                }

                var frameIndex = e.GetProperty("frame").GetInt32();
                if (e.GetProperty("type").GetString() == "O")
                {
                    stack.Add(frameIndex);
                }
                else if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                last = at;
            }
        }

        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"managed CPU sampled: {total:N0} ms; methods by share of it, callees included:") };
        lines.AddRange(Enumerable.Range(0, frames.Length)
            .Where(i => frames[i] != RunningMarker && !frames[i].StartsWith("Thread (", StringComparison.Ordinal) && !frames[i].StartsWith("Process", StringComparison.Ordinal)
                && frames[i] is not "(Non-Activities)" and not "Threads")
            .OrderByDescending(i => inclusive[i])
            .Take(top)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"{100 * inclusive[i] / Math.Max(total, 1),6:0.0} %  {Shorten(frames[i])}")));
        return string.Join('\n', lines);
    }

    private static string Shorten(string frame)
    {
        var bang = frame.IndexOf('!', StringComparison.Ordinal);
        var name = bang >= 0 ? frame[(bang + 1)..] : frame;
        return name.Length > 150 ? name[..150] : name;
    }
}
