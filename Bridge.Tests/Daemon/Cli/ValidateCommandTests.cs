namespace Bridge.Tests.Daemon;

/// <summary><c>validate &lt;config.json&gt;</c>: what an operator runs before restarting the service on a new file.</summary>
[TestFixture]
public sealed class ValidateCommandTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("cxb-validate-");

    [TearDown]
    public void DeleteDirectory() => _directory.Delete(recursive: true);

    [Test]
    public async Task The_shipped_appsettings_is_valid()
    {
        var (code, output, error) = await CommandLineTests.RunAsync("validate", Path.Combine(AppContext.BaseDirectory, "appsettings.json"));

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("configuration is valid"));
            Assert.That(error, Is.Empty);
        });
    }

    [Test]
    public async Task A_partial_file_is_valid_on_top_of_the_defaults()
    {
        var file = Write("""{ "Consul": { "Address": "https://consul.internal:8501", "Datacenter": "eu-1" }, "Xds": { "Unhealthy": "Unhealthy" } }""");

        var (code, output, error) = await CommandLineTests.RunAsync("validate", file);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("configuration is valid"));
        });
    }

    [Test]
    public async Task Every_error_is_listed_by_key()
    {
        var file = Write("""
            {
              "Consul": { "Adress": "http://127.0.0.1:8500", "Wait": "five minutes" },
              "Xds": { "Warning": "maybe" },
              "Ads": { "Listen": "localhost:18000" },
              "Admin": { "Listen": "19000" }
            }
            """);

        var (code, output, error) = await CommandLineTests.RunAsync("validate", file);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.Contain("5 errors"));
            Assert.That(error, Does.Contain("Consul:Adress: unknown setting"));
            Assert.That(error, Does.Contain("Consul:Wait: 'five minutes' is not a duration"));
            Assert.That(error, Does.Contain("Xds:Warning: 'maybe' is not accepted; accepted values: Healthy, Exclude"));
            Assert.That(error, Does.Contain("Ads:Listen: 'localhost:18000'"));
            Assert.That(error, Does.Contain("Admin:Listen: '19000'"));
        });
    }

    [Test]
    public async Task Broken_json_is_reported_with_its_position()
    {
        var file = Write("""{ "Consul": { "Address": "http://127.0.0.1:8500", } """);

        var (code, _, error) = await CommandLineTests.RunAsync("validate", file);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("not valid JSON").And.Contain("LineNumber"));
        });
    }

    [Test]
    public async Task A_missing_file_is_an_error()
    {
        var (code, _, error) = await CommandLineTests.RunAsync("validate", Path.Combine(_directory.FullName, "absent.json"));

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("absent.json: no such file"));
        });
    }

    [Test]
    public async Task A_section_the_bridge_does_not_read_is_a_warning_not_an_error()
    {
        var file = Write("""{ "Consull": { "Address": "http://127.0.0.1:8500" } }""");

        var (code, output, error) = await CommandLineTests.RunAsync("validate", file);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output, Does.Contain("configuration is valid"));
            Assert.That(error, Does.Contain("warning: section 'Consull' is not read by consul-xds-bridge"));
        });
    }

    [TestCase]
    [TestCase("a.json", "b.json")]
    public async Task Validate_takes_exactly_one_file(params string[] files)
    {
        var (code, _, error) = await CommandLineTests.RunAsync(["validate", .. files]);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.Contain("usage: consul-xds-bridge validate <config.json>"));
        });
    }

    private string Write(string json)
    {
        var path = Path.Combine(_directory.FullName, "appsettings.json");
        File.WriteAllText(path, json);
        return path;
    }
}
