using System.Collections.Immutable;
using System.Net;
using Bridge.Core.Ads;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds;
using Bridge.Testing.Ads;
using Envoy.Config.Core.V3;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Ads;

/// <summary>An instance of a service as a test describes it; becomes one Consul health entry.</summary>
internal sealed record TestInstance(string Address, int Port, string Status = "passing", IReadOnlyDictionary<string, string>? Meta = null)
{
    public string Id => $"{Address}:{Port}";

    public string Endpoint => $"{Address}:{Port}";

    public HealthServiceEntry ToEntry(string service) => new()
    {
        Node = new ConsulNode { Node = "node-" + Address, Address = Address, Datacenter = "dc1" },
        Service = new AgentService { ID = $"{service}-{Id}", Service = service, Address = Address, Port = Port, Meta = Meta },
        Checks = [new HealthCheck { CheckID = "serfHealth", Status = Status }],
    };
}

/// <summary>
/// The ADS server wired as the daemon wires it (Kestrel HTTP/2 on a loopback port, <see cref="AdsService"/> over one
/// <see cref="XdsCache"/> fed by a <see cref="CatalogStore"/>), with the catalog fed by the test instead of Consul.
/// One per test: state never leaks between tests.
/// </summary>
internal sealed class AdsTestServer : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly List<IAsyncDisposable> _clients = [];
    private readonly Dictionary<string, TestInstance[]> _services = new(StringComparer.Ordinal);
    private ulong _index;

    private AdsTestServer(WebApplication app, CapturedLogs logs, int port)
    {
        _app = app;
        Logs = logs;
        Port = port;
        Store = app.Services.GetRequiredService<CatalogStore>();
        Cache = app.Services.GetRequiredService<XdsCache>();
        Registry = app.Services.GetRequiredService<StreamRegistry>();
        Channel = AdsChannels.Create(port);
    }

    public int Port { get; }
    public CapturedLogs Logs { get; }
    public CatalogStore Store { get; }
    public XdsCache Cache { get; }
    public StreamRegistry Registry { get; }
    public GrpcChannel Channel { get; }

    public static async Task<AdsTestServer> StartAsync(AdsOptions? ads = null, XdsOptions? xds = null)
    {
        var logs = new CapturedLogs();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        // The daemon's appsettings.json is copied beside the tests; its log levels must not hide the events awaited here.
        builder.Logging.AddFilter<CapturedLogs>(null, LogLevel.Debug);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(ads ?? new AdsOptions());
        builder.Services.AddSingleton(xds ?? new XdsOptions());
        builder.Services.AddSingleton<XdsCache>();
        builder.Services.AddSingleton<StreamRegistry>();
        builder.Services.AddSingleton<CatalogStore>();
        builder.Services.AddSingleton(sp => new AdsService(
            sp.GetRequiredService<XdsCache>(), sp.GetRequiredService<StreamRegistry>(), sp.GetRequiredService<AdsOptions>, sp.GetRequiredService<ILogger<AdsService>>()));

        var app = builder.Build();
        app.MapGrpcService<AdsService>();
        var store = app.Services.GetRequiredService<CatalogStore>();
        store.Subscribe(app.Services.GetRequiredService<XdsCache>().Apply);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new AdsTestServer(app, logs, new Uri(address).Port);
    }

    public AdsClient Sotw(Node node, AdsClientOptions? options = null) => Track(new AdsClient(Channel, node, options));

    public DeltaAdsClient Delta(Node node, AdsClientOptions? options = null) => Track(new DeltaAdsClient(Channel, node, options));

    /// <summary>Registers a client made elsewhere (a reconnect) to be closed before the server stops.</summary>
    public T Track<T>(T client)
        where T : IAsyncDisposable
    {
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>The first full read of Consul: exactly these services, after which the catalog is synced.</summary>
    public void Sync(params (string Service, TestInstance[] Instances)[] services)
    {
        List<ConsulEvent> events = [new ServiceSetObserved([.. services.Select(s => s.Service)], ++_index)];
        foreach (var (service, instances) in services)
        {
            _services[service] = instances;
            events.Add(new ServiceEntriesObserved(service, ++_index, [.. instances.Select(i => i.ToEntry(service))]));
        }

        Apply([.. events]);
    }

    /// <summary>Adds the service or replaces its instances, as one Consul blocking query returning.</summary>
    public void SetService(string service, params TestInstance[] instances)
    {
        List<ConsulEvent> events = [];
        if (!_services.ContainsKey(service))
        {
            events.Add(new ServiceSetObserved([.. _services.Keys.Append(service)], ++_index));
        }

        _services[service] = instances;
        events.Add(new ServiceEntriesObserved(service, ++_index, [.. instances.Select(i => i.ToEntry(service))]));
        Apply([.. events]);
    }

    /// <summary>Sets the check status of the instance at <paramref name="endpoint"/> (<c>passing</c>, <c>critical</c>, ...).</summary>
    public void SetHealth(string service, string endpoint, string status) =>
        SetService(service, [.. _services[service].Select(i => i.Endpoint == endpoint ? i with { Status = status } : i)]);

    /// <summary>The service leaves the Consul catalog.</summary>
    public void RemoveService(string service)
    {
        _services.Remove(service);
        Apply(new ServiceSetObserved([.. _services.Keys], ++_index));
    }

    public void Apply(params ConsulEvent[] events) => Store.Apply(events);

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

        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Event ids of the ADS log (Bridge.Core/Ads/AdsLog.cs), as operators see them.</summary>
internal static class AdsEvents
{
    public const int StreamOpened = 4001;
    public const int StreamClosed = 4002;
    public const int Ack = 4003;
    public const int Nack = 4004;
    public const int UnknownTypeUrl = 4005;
    public const int StaleNonceIgnored = 4006;
    public const int RequestRejected = 4008;
}
