using System.Text.RegularExpressions;

namespace Bridge.Tests.Daemon;

/// <summary>README.md's "Install and operate" is what operators alert on: it must name every event the bridge logs.</summary>
[TestFixture]
public sealed partial class ReadmeTests
{
    [Test]
    public void Every_logged_event_is_in_the_readme_table_with_its_name_and_level()
    {
        var root = Repository.Root;
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var events = new[] { "Bridge.Core", "Bridge.Daemon" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(root, project), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => LoggerMessage().Matches(File.ReadAllText(file)))
            .Select(m => $"| {m.Groups["id"].Value} | {m.Groups["name"].Value} | {m.Groups["level"].Value} |")
            .ToList();

        Assert.That(events, Has.Count.GreaterThan(30));
        Assert.Multiple(() =>
        {
            foreach (var row in events)
            {
                Assert.That(readme, Does.Contain(row), "README.md's event table lacks a row starting " + row);
            }
        });
    }

    [GeneratedRegex("""EventId = (?<id>\d+), EventName = "(?<name>\w+)", Level = LogLevel\.(?<level>\w+)""")]
    private static partial Regex LoggerMessage();
}
