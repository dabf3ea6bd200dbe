using System.Net.Http.Json;
using Bridge.Core;
using Bridge.Core.Ads;
using Bridge.Core.Catalog;
using Bridge.Core.Xds;
using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;
using Bridge.DevAgent;
using Bridge.Testing.Ads;
using Bridge.Testing.Consul;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Logging.Testing;

namespace Bridge.Testing.Hosting;

/// <summary>Where an <see cref="InProcessBridge"/> learns the catalog.</summary>
internal enum CatalogFeed
{
    /// <summary>A dev Consul agent started with the bridge, seeded with service <c>web</c> (one instance, 127.0.0.1:8081).</summary>
    DevAgent,

    /// <summary>The Consul at <c>Consul:Address</c> in the settings (a stand-in the test runs, or none at all).</summary>
    Address,

    /// <summary>No Consul watch: the test says what Consul answered through <see cref="InProcessBridge.Consul"/>.</summary>
    Test,
}

/// <summary>What an <see cref="InProcessBridge"/> is started with.</summary>
internal sealed record InProcessBridgeOptions
{
    /// <summary>Settings on top of the defaults, by key (<c>Ads:MaxStreamsPerPeer</c>); the ports are the bridge's own.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Where the catalog comes from.</summary>
    public CatalogFeed Catalog { get; init; } = CatalogFeed.DevAgent;

    /// <summary>With <see cref="CatalogFeed.DevAgent"/>: the ACL token the agent requires (the bridge is given it).</summary>
    public string? ConsulToken { get; init; }

    /// <summary>The lowest level of the events collected in <see cref="InProcessBridge.Logs"/>, every category.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Debug;

    /// <summary>Whether <see cref="InProcessBridge.StartAsync"/> returns only once a full catalog is served (not with <see cref="CatalogFeed.Test"/>).</summary>
    public bool WaitForCatalog { get; init; } = true;

    /// <summary>The clock of the whole bridge; the system's when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>
    /// A settings file read as the daemon reads <c>/etc/consul-xds-bridge/appsettings.json</c> (watched for changes, so
    /// reloads can be tested); it gives every setting itself, listen addresses and Consul address included, and
    /// <see cref="Settings"/> is not used. Goes with <see cref="CatalogFeed.Address"/>.
    /// </summary>
    public string? SettingsFile { get; init; }
}

/// <summary>
/// The daemon in this process, composed exactly as it runs (<see cref="BridgeHost.Build"/>: Kestrel with the ADS and
/// admin listeners on free loopback ports, Core's pipeline, the admin endpoints), every log event collected. Its
/// catalog comes from a dev agent, from a Consul the test runs, or straight from the test (<see cref="CatalogFeed"/>).
/// One per test: no state leaks between tests.
/// </summary>
internal sealed class InProcessBridge : IAsyncDisposable
{
    /// <summary>How long tests wait for what an in-process bridge does at once.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly WebApplication _app;
    private readonly DevAgentServer? _agent;
    private readonly List<IAsyncDisposable> _clients = [];
    private readonly Lazy<GrpcChannel> _channel;
    private readonly ConsulFeed? _consul;
    private bool _started;

    private InProcessBridge(WebApplication app, DevAgentServer? agent, FakeLogCollector logs, int adsPort, int adminPort, bool fed)
    {
        _app = app;
        _agent = agent;
        Logs = logs;
        AdsPort = adsPort;
        AdminPort = adminPort;
        Pipeline = app.Services.GetRequiredService<BridgePipeline>();
        _consul = fed ? new ConsulFeed(Pipeline.Store) : null;
        _channel = new(() => AdsChannels.Create(adsPort));
    }

    /// <summary>Every event the bridge logged, of every category, at <see cref="InProcessBridgeOptions.LogLevel"/> and above.</summary>
    public FakeLogCollector Logs { get; }

    public int AdsPort { get; }

    public int AdminPort { get; }

    /// <summary>The daemon's services (its settings, its HTTP clients, its <see cref="SettingsReloader"/>).</summary>
    public IServiceProvider Services => _app.Services;

    public BridgePipeline Pipeline { get; }

    /// <summary>With <see cref="CatalogFeed.Test"/>: what Consul answered, as the test says it.</summary>
    public ConsulFeed Consul => _consul ?? throw new InvalidOperationException("This bridge reads its catalog from Consul: start it with CatalogFeed.Test to feed it.");

    /// <summary>With <see cref="CatalogFeed.DevAgent"/>: the agent; null otherwise.</summary>
    public DevAgentServer? Agent => _agent;

    public CatalogStore Store => Pipeline.Store;

    public XdsCache Cache => Pipeline.Cache;

    public StreamRegistry Registry => Pipeline.Streams;

    /// <summary>A plaintext channel to the ADS port, shared by the clients made with <see cref="Sotw"/> and <see cref="Delta"/>.</summary>
    public GrpcChannel Channel => _channel.Value;

    /// <summary>Builds the bridge and starts it (and its dev agent); see <see cref="InProcessBridgeOptions.WaitForCatalog"/>.</summary>
    public static async Task<InProcessBridge> StartAsync(InProcessBridgeOptions? options = null)
    {
        options ??= new InProcessBridgeOptions();
        var agent = options.Catalog == CatalogFeed.DevAgent ? await StartAgentAsync(options.ConsulToken) : null;
        try
        {
            // A port taken between its choice and the bind is chosen again.
            for (var attempt = 1; ; attempt++)
            {
                var bridge = Build(options, agent);
                try
                {
                    await bridge._app.StartAsync();
                    bridge._started = true;
                }
                catch (Exception e) when (attempt < 3 && IsAddressInUse(e))
                {
                    await bridge._app.DisposeAsync();
                    continue;
                }
                catch
                {
                    await bridge._app.DisposeAsync();
                    throw;
                }

                if (options.WaitForCatalog && options.Catalog != CatalogFeed.Test)
                {
                    try
                    {
                        await bridge.Pipeline.WhenReady.WaitAsync(Wait);
                    }
                    catch
                    {
                        await bridge.DisposeAsync();
                        throw;
                    }
                }

                return bridge;
            }
        }
        catch when (agent is not null)
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds the bridge without starting it: its services (the Consul transport, the startup warnings) can be looked at.</summary>
    public static InProcessBridge Build(InProcessBridgeOptions options) => Build(options, agent: null);

    private static InProcessBridge Build(InProcessBridgeOptions options, DevAgentServer? agent)
    {
        var (adsPort, adminPort) = (FreePort.Next(), FreePort.Next());
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ads:Listen"] = $"127.0.0.1:{adsPort}",
            ["Admin:Listen"] = $"127.0.0.1:{adminPort}",
            // A test-fed bridge never asks; any other waits no longer than a test does.
            ["Consul:Wait"] = "00:00:05",
        };
        if (agent is not null)
        {
            values["Consul:Address"] = agent.Address.ToString().TrimEnd('/');
            values["Consul:Token"] = options.ConsulToken;
        }

        foreach (var (key, value) in options.Settings)
        {
            values[key] = value;
        }

        var configuration = options.SettingsFile is { } file
            ? ConfigurationSources.Build([], file)
            : new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var (settings, errors) = SettingsLoader.Load(configuration, _ => null);
        if (settings is null)
        {
            throw new ArgumentException("settings of the test bridge: " + string.Join("; ", errors));
        }

        if (options.SettingsFile is not null)
        {
            Bridge.Core.Configuration.ListenAddress.TryParse(settings.Ads.Listen, out var ads);
            Bridge.Core.Configuration.ListenAddress.TryParse(settings.Admin.Listen, out var admin);
            (adsPort, adminPort) = (ads.Port, admin.Port);
        }

        var logs = FakeLogCollector.Create(new FakeLogCollectorOptions());
        var fed = options.Catalog == CatalogFeed.Test;
        var app = BridgeHost.Build([], settings, configuration, builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            // The daemon's appsettings.json is copied beside the tests; its levels must not hide what tests await.
            builder.Logging.AddFilter<FakeLoggerProvider>(null, options.LogLevel);
            builder.Logging.AddFilter<ConsoleLoggerProvider>((_, _) => false);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
            if (options.Time is { } time)
            {
                builder.Services.AddSingleton(time);
            }

            if (fed)
            {
                // No Consul watch: the catalog store hears only what the test feeds it.
                var watch = builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(CatalogPipeline));
                builder.Services.Remove(watch);
            }
        });
        return new InProcessBridge(app, agent, logs, adsPort, adminPort, fed);
    }

    /// <summary>A state-of-the-world client on <see cref="Channel"/>, closed before the bridge stops.</summary>
    public AdsClient Sotw(Node node, AdsClientOptions? options = null) => Track(new AdsClient(Channel, node, options));

    /// <summary>A delta client on <see cref="Channel"/>, closed before the bridge stops.</summary>
    public DeltaAdsClient Delta(Node node, AdsClientOptions? options = null) => Track(new DeltaAdsClient(Channel, node, options));

    /// <summary>Registers a client made elsewhere (a reconnect) to be closed before the bridge stops.</summary>
    public T Track<T>(T client)
        where T : IAsyncDisposable
    {
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>A channel to the ADS port; <paramref name="handler"/> carries TLS settings when the test needs them.</summary>
    public GrpcChannel OpenChannel(bool https = false, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress($"{(https ? "https" : "http")}://127.0.0.1:{AdsPort}", new GrpcChannelOptions { HttpHandler = handler ?? new SocketsHttpHandler() });

    /// <summary>GET on the admin listener, as text.</summary>
    public async Task<string> GetAdminAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}") };
        return await http.GetStringAsync(path);
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        // Clients first: a server stopping with open streams would wait for them until its shutdown timeout.
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        if (_channel.IsValueCreated)
        {
            _channel.Value.Dispose();
        }

        if (_started)
        {
            await _app.StopAsync();
        }

        await _app.DisposeAsync();
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }
    }

    private static async Task<DevAgentServer> StartAgentAsync(string? token)
    {
        var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0", RequiredToken = token });
        try
        {
            // Through Consul's own registration API, as an operator's tooling registers.
            using var http = new HttpClient { BaseAddress = agent.Address };
            if (token is not null)
            {
                http.DefaultRequestHeaders.Add("X-Consul-Token", token);
            }

            var web = new JsonObject
            {
                ["ID"] = "web-1",
                ["Name"] = "web",
                ["Address"] = "127.0.0.1",
                ["Port"] = 8081,
                ["Check"] = new JsonObject { ["TTL"] = "8760h", ["Status"] = "passing" },
            };
            using var response = await http.PutAsJsonAsync("/v1/agent/service/register", web);
            response.EnsureSuccessStatusCode();
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    private static bool IsAddressInUse(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }
}
