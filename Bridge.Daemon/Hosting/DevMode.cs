using System.Text.Json.Nodes;
using Bridge.Daemon.Configuration;
using Bridge.DevAgent;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// <c>--dev</c>: starts the embedded Consul-compatible dev agent and seeds a few example services through
/// Consul's own registration API, so the daemon runs with no Consul installed. With the dev agent's traffic-management
/// seed beside the binary (<c>Seeding/traffic-management.json</c>), that is what it holds: web in two versions split
/// 90/10 with a header route to v2, an instance in dc2, api and db.
/// </summary>
internal sealed class DevMode : IAsyncDisposable
{
    public const string Url = "http://127.0.0.1:8500";

    private readonly DevAgentServer _agent;

    private DevMode(DevAgentServer agent, BridgeSettings settings)
    {
        _agent = agent;
        Settings = settings;
    }

    public BridgeSettings Settings { get; }

    public static async Task<DevMode?> StartAsync(BridgeSettings settings)
    {
        DevAgentServer agent;
        try
        {
            agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = Url }).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"consul-xds-bridge --dev: cannot start the dev Consul agent on {Url}: {e.Message}. Stop whatever listens there (a real Consul agent?) or run without --dev.").ConfigureAwait(false);
            return null;
        }

        var seed = Path.Combine(AppContext.BaseDirectory, "Seeding", "traffic-management.json");
        if (File.Exists(seed))
        {
            await agent.LoadSeedAsync(seed).ConfigureAwait(false);
        }
        else
        {
            await SeedAsync(agent.Address).ConfigureAwait(false);
        }

        return new DevMode(agent, settings with { Consul = settings.Consul with { Address = agent.Address.ToString().TrimEnd('/') } });
    }

    /// <summary>Three example services: two healthy web instances in two zones, one api, one database in warning.</summary>
    private static async Task SeedAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        (string Id, string Name, int Port, string[] Tags, string Status)[] seed =
        [
            ("web-1", "web", 8081, ["http", "v1"], "passing"),
            ("web-2", "web", 8082, ["http", "v1"], "passing"),
            ("api-1", "api", 9091, ["grpc"], "passing"),
            ("db-1", "db", 5432, ["primary"], "warning"),
        ];
        foreach (var (id, name, port, tags, status) in seed)
        {
            var body = new JsonObject
            {
                ["ID"] = id,
                ["Name"] = name,
                ["Address"] = "127.0.0.1",
                ["Port"] = port,
                ["Tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]),
                ["Meta"] = new JsonObject { ["protocol"] = name == "api" ? "grpc" : "http" },
                ["Check"] = new JsonObject { ["TTL"] = "8760h", ["Status"] = status },
            };
            using var response = await http.PutAsJsonAsync("/v1/agent/service/register", body).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
    }

    public ValueTask DisposeAsync() => _agent.DisposeAsync();
}
