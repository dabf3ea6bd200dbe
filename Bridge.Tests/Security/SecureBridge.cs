using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Bridge.Core.Xds;
using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;
using Bridge.DevAgent;
using Node = Envoy.Config.Core.V3.Node;
using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Bridge.Tests.Security;

/// <summary>
/// The daemon as it runs (<see cref="BridgeHost.Build"/>: Kestrel with the ADS and admin listeners, the Consul
/// watcher) against a dev Consul agent seeded with one service, every log event captured. One per test.
/// </summary>
internal sealed class SecureBridge : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly DevAgentServer _agent;
    private readonly WebApplication _app;

    private SecureBridge(DevAgentServer agent, WebApplication app, LogCapture logs, int adsPort, int adminPort)
    {
        _agent = agent;
        _app = app;
        Logs = logs;
        AdsPort = adsPort;
        AdminPort = adminPort;
    }

    public LogCapture Logs { get; }
    public int AdsPort { get; }
    public int AdminPort { get; }

    /// <summary>
    /// Starts an agent (requiring <paramref name="consulToken"/> when given) seeded with service <c>web</c>, then
    /// the bridge with <paramref name="settings"/> on top of its defaults; returns once the first catalog is served.
    /// </summary>
    public static async Task<SecureBridge> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        string? consulToken = null,
        LogLevel level = LogLevel.Debug,
        bool waitForCatalog = true,
        TimeProvider? time = null)
    {
        var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0", RequiredToken = consulToken });
        try
        {
            await SeedAsync(agent.Address, consulToken);
            var (adsPort, adminPort) = (FreePort(), FreePort());
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                ["Consul:Address"] = agent.Address.ToString().TrimEnd('/'),
                ["Consul:Wait"] = "00:00:05",
                ["Ads:Listen"] = $"127.0.0.1:{adsPort}",
                ["Admin:Listen"] = $"127.0.0.1:{adminPort}",
                ["Logging:LogLevel:Default"] = level.ToString(),
                ["Logging:LogLevel:Microsoft"] = level.ToString(),
                ["Logging:LogLevel:Microsoft.AspNetCore"] = level.ToString(),
                ["Logging:LogLevel:System.Net.Http.HttpClient"] = level.ToString(),
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            var (loaded, errors) = SettingsLoader.Load(configuration, _ => null);
            Assert.That(errors, Is.Empty, "settings of the test bridge");

            var logs = new LogCapture();
            var app = BridgeHost.Build([], loaded!, configuration, builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.Logging.AddFilter<ConsoleLoggerProvider>((_, _) => false);
                builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
                if (time is not null)
                {
                    builder.Services.AddSingleton(time);
                }
            });
            await app.StartAsync();
            var bridge = new SecureBridge(agent, app, logs, adsPort, adminPort);
            if (waitForCatalog)
            {
                try
                {
                    await app.Services.GetRequiredService<Bridge.Core.BridgePipeline>().WhenReady.WaitAsync(Wait);
                }
                catch
                {
                    await bridge.DisposeAsync();
                    throw;
                }
            }

            return bridge;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>A channel to the ADS port; <paramref name="handler"/> carries TLS settings when the test needs them.</summary>
    public GrpcChannel Channel(bool https = false, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress($"{(https ? "https" : "http")}://127.0.0.1:{AdsPort}", new GrpcChannelOptions { HttpHandler = handler ?? new SocketsHttpHandler() });

    public async Task<string> GetAdminAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}") };
        return await http.GetStringAsync(path);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _agent.DisposeAsync();
    }

    /// <summary>Opens a state-of-the-world stream, asks for clusters and returns the first answer.</summary>
    public static async Task<DiscoveryResponse> FetchClustersAsync(GrpcChannel channel, string nodeId = "proxy-1", string cluster = "edge", Metadata? headers = null)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var call = client.StreamAggregatedResources(headers, DateTime.UtcNow + Wait);
        await TryWriteAsync(call.RequestStream, new DiscoveryRequest { Node = Node(nodeId, cluster), TypeUrl = TypeUrls.Cluster });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True, "the stream ended without an answer");
        return call.ResponseStream.Current;
    }

    /// <summary>Opens a delta stream, subscribes to every cluster and returns the first answer.</summary>
    public static async Task<DeltaDiscoveryResponse> FetchClustersDeltaAsync(GrpcChannel channel, string nodeId = "proxy-1", string cluster = "edge", Metadata? headers = null)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var call = client.DeltaAggregatedResources(headers, DateTime.UtcNow + Wait);
        await TryWriteAsync(call.RequestStream, new DeltaDiscoveryRequest { Node = Node(nodeId, cluster), TypeUrl = TypeUrls.Cluster });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True, "the stream ended without an answer");
        return call.ResponseStream.Current;
    }

    /// <summary>The names of the clusters of a CDS answer.</summary>
    public static IReadOnlyList<string> ClusterNames(DiscoveryResponse response) => [.. response.Resources.Select(r => r.Unpack<Cluster>().Name)];

    /// <summary>
    /// A refused connection can fail the write already (the server ends a TLS 1.3 connection right after its
    /// handshake); the status a client sees then comes from reading the response, as it would for any gRPC client.
    /// </summary>
    private static async Task TryWriteAsync<T>(IClientStreamWriter<T> writer, T request)
    {
        try
        {
            await writer.WriteAsync(request);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or RpcException or InvalidOperationException)
        {
        }
    }

    public static Node Node(string id, string cluster) => new() { Id = id, Cluster = cluster, UserAgentName = "envoy" };

    private static async Task SeedAsync(Uri address, string? token)
    {
        using var http = new HttpClient { BaseAddress = address };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Add("X-Consul-Token", token);
        }

        var body = new JsonObject
        {
            ["ID"] = "web-1",
            ["Name"] = "web",
            ["Address"] = "127.0.0.1",
            ["Port"] = 8081,
            ["Check"] = new JsonObject { ["TTL"] = "8760h", ["Status"] = "passing" },
        };
        using var response = await http.PutAsJsonAsync("/v1/agent/service/register", body);
        response.EnsureSuccessStatusCode();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
