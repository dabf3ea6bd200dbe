using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Connections;
using Bridge.DevAgent.Control;
using Bridge.DevAgent.Datacenters;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;
using Bridge.DevAgent.Http;
using Bridge.DevAgent.Seeding;
using Bridge.DevAgent.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.DevAgent;

/// <summary>
/// A Consul-compatible agent in one process: in-memory catalog, Consul's HTTP API with real
/// blocking-query semantics, the per-client connection limit, and fault knobs for tests.
/// </summary>
public sealed partial class DevAgentServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConnectionGate _connections;
    private readonly RequestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DevCertificateAuthority? _tls;
    private int _stopped;

    private readonly Federation _federation;

    private DevAgentServer(WebApplication app, Uri address, Federation federation, AclTokens acl, FaultKnobs faults, ConnectionGate connections, RequestMetrics metrics, ILogger logger, DevCertificateAuthority? tls)
    {
        _tls = tls;
        _app = app;
        Address = address;
        _federation = federation;
        Acl = acl;
        Faults = faults;
        _connections = connections;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The address actually bound, e.g. <c>http://127.0.0.1:51234/</c> when started on port 0.</summary>
    public Uri Address { get; }

    /// <summary>The catalog of the agent's own datacenter.</summary>
    public DevCatalog Catalog => _federation.Local;

    /// <summary>The datacenters the agent serves, nearest first (the agent's own first), as <c>/v1/catalog/datacenters</c> lists them.</summary>
    public IReadOnlyList<string> Datacenters => _federation.Names;

    /// <summary>The federation's primary datacenter, where config entries are written.</summary>
    public string PrimaryDatacenter => _federation.PrimaryName;

    /// <summary>The catalog of one datacenter the agent serves.</summary>
    /// <param name="name">Datacenter name.</param>
    /// <exception cref="ArgumentException">The agent does not serve it.</exception>
    public DevCatalog Datacenter(string name) =>
        _federation.Find(name) ?? throw new ArgumentException($"The dev agent does not serve datacenter '{name}'; it serves {string.Join(", ", Datacenters)}.", nameof(name));

    /// <summary>
    /// Serves one more datacenter, farthest from the agent so far; it starts with its own server node and the primary's
    /// config entries. Returns the existing one if it is served already.
    /// </summary>
    /// <param name="name">Datacenter name.</param>
    /// <exception cref="ArgumentException">The name cannot be a datacenter name.</exception>
    public DevCatalog AddDatacenter(string name) => _federation.Add(name);

    /// <summary>Registers what a seed file holds (datacenters, services, catalog entries, config entries); see the README.</summary>
    /// <param name="path">The JSON seed file.</param>
    /// <param name="ct">Cancels reading.</param>
    /// <returns>How many registrations and entries were applied.</returns>
    /// <exception cref="InvalidDataException">The file is not valid, or Consul would refuse one of its entries (named by position).</exception>
    public Task<int> LoadSeedAsync(string path, CancellationToken ct = default) => SeedLoader.LoadAsync(this, path, ct);

    /// <summary>The ACL tokens the agent enforces; changeable while it runs.</summary>
    public AclTokens Acl { get; }

    /// <summary>The faults the agent injects.</summary>
    public FaultKnobs Faults { get; }

    /// <summary>
    /// For an <c>https://</c> agent, the PEM file of the CA that signed its certificate (a client's <c>Consul:CaFile</c>);
    /// it is made at start and deleted when the agent is disposed. Null over plain HTTP.
    /// </summary>
    public string? CaFile => _tls?.CaFile;

    /// <summary>For an <c>https://</c> agent, the CA that signed its certificate; null over plain HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? CaCertificate => _tls?.CaCertificate;

    /// <summary>Starts an agent listening on <see cref="DevAgentOptions.Url"/>.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="ct">Cancels start-up.</param>
    /// <exception cref="IOException">The address is already in use.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static async Task<DevAgentServer> StartAsync(DevAgentOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (endpoint, https) = ParseEndpoint(options.Url);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Bridge.DevAgent");
        var time = options.Time;
        var metrics = new RequestMetrics();
        var federation = new Federation(options, time, loggerFactory);
        var faults = new FaultKnobs(time, federation.Local, loggerFactory.CreateLogger<FaultKnobs>())
        {
            DatacenterProblem = name => name == options.Datacenter
                ? $"the agent's own datacenter '{name}' cannot be made unreachable (use Error NoLeader or Down)"
                : federation.Find(name) is null ? $"'{name}' is not a datacenter this agent serves ({string.Join(", ", federation.Names)})" : null,
            UnreachableChanged = federation.OnUnreachableChanged,
        };
        federation.Faults = faults;
        var acl = new AclTokens(options.RequiredToken, loggerFactory.CreateLogger<AclTokens>());
        var connections = new ConnectionGate(options.MaxConnsPerClient, faults, metrics, loggerFactory.CreateLogger<ConnectionGate>());
        faults.AbortConnections = connections.AbortAll;
        var tls = https ? DevCertificateAuthority.Create(new Uri(options.Url).Host.Trim('[', ']')) : null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DevAgentServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        // ASP.NET's own request logs carry query strings, and so ?token= values: only its warnings
        // and errors reach the caller's loggers.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // A failed start is rethrown below with a clear message; the host's stack-trace log of it is noise.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        // Consul wraps its handlers in a gzip handler; clients that ask for gzip get it.
        builder.Services.AddResponseCompression(o =>
        {
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["application/json", "text/plain"];
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Consul's HTTPS listener is Go's: ALPN offers h2, and one connection carries up to 250 streams.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 250;
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = tls is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;

                // Added before TLS, so the limit counts TCP connections, however many requests each multiplexes.
                listen.Use(next => connection => connections.HandleAsync(connection, next));
                if (tls is not null)
                {
                    listen.UseHttps(tls.ServerCertificate);
                }
            });
        });

        var app = builder.Build();
        var statistics = () => Snapshot(connections, metrics, faults);
        var responses = new ConsulResponses(faults, metrics);
        var runner = new BlockingQueryRunner(options, faults, metrics, time, app.Lifetime.ApplicationStopping);
        var gate = new RequestGate(acl, faults, metrics, responses, time);
        app.UseResponseCompression();
        app.Use(gate.InvokeAsync);
        new DevControlApi(federation, acl, faults, statistics, responses).Map(app);
        ConsulRoutes.Map(app, new ConsulApi(federation, acl, faults, runner, responses, () => connections.Limit));

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            await app.DisposeAsync();
            federation.StopTimers();
            tls?.Dispose();
            throw new IOException($"The dev agent cannot listen on {options.Url}: the address is already in use.", ex);
        }
        catch
        {
            await app.DisposeAsync();
            federation.StopTimers();
            tls?.Dispose();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"{(https ? "https" : "http")}://{endpoint}";
        var server = new DevAgentServer(app, new Uri(bound), federation, acl, faults, connections, metrics, logger, tls);
        Log.Started(logger, server.Address, options.Datacenter, options.NodeName);
        if (tls is not null)
        {
            Log.ServingHttps(logger, tls.CaFile);
        }

        return server;
    }

    /// <summary>Counters of connections, requests and faults.</summary>
    public DevAgentStatistics GetStatistics() => Snapshot(_connections, _metrics, Faults);

    /// <summary>Stops listening. In-flight blocking queries answer with the current data, as Consul's do on shutdown.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        _federation.StopTimers();
        Log.Stopped(_logger, Address);
    }

    /// <summary>Stops the agent and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _tls?.Dispose();
    }

    private static DevAgentStatistics Snapshot(ConnectionGate connections, RequestMetrics metrics, FaultKnobs faults) => new()
    {
        ConnectionsPerIp = connections.PerIp(),
        PeakConnectionsByIp = connections.PeakPerIpByAddress(),
        OpenConnections = connections.Open,
        PeakConnections = connections.Peak,
        PeakConnectionsPerIp = connections.PeakPerIp,
        ConnectionLimitRejections = connections.Rejections,
        TooManyRequestsResponses = metrics.TooManyRequests,
        RequestsByKind = metrics.RequestsByKind(),
        ResponseBytesByKind = metrics.ResponseBytesByKind(),
        BlockingQueriesInFlight = metrics.BlockingInFlight,
        Faults = faults.Counters,
    };

    private static (IPEndPoint Endpoint, bool Https) ParseEndpoint(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"DevAgentOptions.Url must be http://<host>:<port> or https://<host>:<port>, got '{url}'.");
        }

        var host = uri.Host.Trim('[', ']');
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" or "0.0.0.0" => IPAddress.Any,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => throw new ArgumentException($"DevAgentOptions.Url must name an IP address or localhost, got '{uri.Host}'."),
        };
        return (new IPEndPoint(address, uri.Port), uri.Scheme == Uri.UriSchemeHttps);
    }

    private static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Dev agent listening on {Address} (datacenter {Datacenter}, node {Node})")]
        public static partial void Started(ILogger logger, Uri address, string datacenter, string node);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Dev agent on {Address} stopped")]
        public static partial void Stopped(ILogger logger, Uri address);

        [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Dev agent serves HTTPS (HTTP/2 and HTTP/1.1) with a throwaway CA; trust {CaFile}")]
        public static partial void ServingHttps(ILogger logger, string caFile);
    }
}
