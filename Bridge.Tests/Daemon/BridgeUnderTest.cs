using Bridge.Daemon.Admin;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.Daemon;

/// <summary>
/// A dev agent on a free port and the real daemon (<see cref="BridgeProcess"/>) pointed at it, with systemd's notify
/// socket played by the test.
/// </summary>
internal sealed class BridgeUnderTest : IAsyncDisposable
{
    /// <summary>Start-up of a fresh .NET process on a busy two-core machine: generous, and only ever an upper bound.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly HttpClient _admin;

    private BridgeUnderTest(DevAgentServer agent, NotifySocket notify, BridgeProcess daemon)
    {
        Agent = agent;
        Notify = notify;
        Daemon = daemon;
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{daemon.AdminPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public DevAgentServer Agent { get; }

    public NotifySocket Notify { get; }

    public BridgeProcess Daemon { get; }

    public int AdsPort => Daemon.AdsPort;

    public int AdminPort => Daemon.AdminPort;

    /// <summary>Starts the agent (with <paramref name="prepare"/> applied before the daemon starts), then the daemon.</summary>
    public static async Task<BridgeUnderTest> StartAsync(BridgeParent parent, TimeSpan? watchdog = null, Action<DevAgentServer>? prepare = null)
    {
        var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
        agent.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "web-1", Name = "web", Address = "127.0.0.1", Port = 8081 });
        agent.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "web-2", Name = "web", Address = "127.0.0.1", Port = 8082 });
        prepare?.Invoke(agent);

        var notify = new NotifySocket();
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path };
        if (watchdog is { } interval)
        {
            environment["WATCHDOG_USEC"] = ((long)interval.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        }

        var daemon = await BridgeProcess.StartAsync(new BridgeProcessOptions
        {
            ConsulAddress = agent.Address.ToString().TrimEnd('/'),
            Settings = new Dictionary<string, string>
            {
                // Only web: the agent also lists its own consul service.
                ["Consul:ExcludeServices:0"] = "consul",
                // Retry quickly once the agent answers again; the defaults are for a real Consul.
                ["Consul:RetryBaseDelay"] = "00:00:00.050",
                ["Consul:RetryMaxDelay"] = "00:00:00.200",
            },
            Environment = environment,
            Parent = parent,
        });
        return new BridgeUnderTest(agent, notify, daemon);
    }

    public async Task<(HttpStatusCode Code, ReadinessView View)> ReadyzAsync()
    {
        using var response = await _admin.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        var view = JsonSerializer.Deserialize(body, AdminJsonContext.Default.ReadinessView)
            ?? throw new InvalidOperationException($"/readyz answered {body}");
        return (response.StatusCode, view);
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await Daemon.DisposeAsync();
        Notify.Dispose();
        await Agent.DisposeAsync();
    }
}
