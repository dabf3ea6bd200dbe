using System.Net;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Connections;
using Bridge.DevAgent.Control;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;
using Bridge.DevAgent.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
    private int _stopped;

    private DevAgentServer(WebApplication app, Uri address, DevCatalog catalog, FaultKnobs faults, ConnectionGate connections, RequestMetrics metrics, ILogger logger)
    {
        _app = app;
        Address = address;
        Catalog = catalog;
        Faults = faults;
        _connections = connections;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The address actually bound, e.g. <c>http://127.0.0.1:51234/</c> when started on port 0.</summary>
    public Uri Address { get; }

    /// <summary>The catalog the agent serves.</summary>
    public DevCatalog Catalog { get; }

    /// <summary>The faults the agent injects.</summary>
    public FaultKnobs Faults { get; }

    /// <summary>Starts an agent listening on <see cref="DevAgentOptions.Url"/>.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="ct">Cancels start-up.</param>
    /// <exception cref="IOException">The address is already in use.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static async Task<DevAgentServer> StartAsync(DevAgentOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var endpoint = ParseEndpoint(options.Url);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Bridge.DevAgent");
        var time = TimeProvider.System;
        var metrics = new RequestMetrics();
        var faults = new FaultKnobs(time, loggerFactory.CreateLogger<FaultKnobs>());
        var catalog = new DevCatalog(options, time, loggerFactory.CreateLogger<DevCatalog>());
        var connections = new ConnectionGate(options.MaxConnsPerClient, faults, metrics, loggerFactory.CreateLogger<ConnectionGate>());
        faults.AbortConnections = connections.AbortAll;

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
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => connections.HandleAsync(connection, next));
            });
        });

        var app = builder.Build();
        var statistics = () => Snapshot(connections, metrics, faults);
        var responses = new ConsulResponses(faults, metrics);
        var runner = new BlockingQueryRunner(catalog, options, faults, metrics, time, app.Lifetime.ApplicationStopping);
        var gate = new RequestGate(options, faults, metrics, responses, time);
        app.UseResponseCompression();
        app.Use(gate.InvokeAsync);
        new DevControlApi(catalog, faults, statistics, responses).Map(app);
        ConsulRoutes.Map(app, new ConsulApi(catalog, options, runner, responses));

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            await app.DisposeAsync();
            catalog.StopTimers();
            throw new IOException($"The dev agent cannot listen on {options.Url}: the address is already in use.", ex);
        }
        catch
        {
            await app.DisposeAsync();
            catalog.StopTimers();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{endpoint}";
        var server = new DevAgentServer(app, new Uri(bound), catalog, faults, connections, metrics, logger);
        Log.Started(logger, server.Address, options.Datacenter, options.NodeName);
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
        Catalog.StopTimers();
        Log.Stopped(_logger, Address);
    }

    /// <summary>Stops the agent and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private static DevAgentStatistics Snapshot(ConnectionGate connections, RequestMetrics metrics, FaultKnobs faults) => new()
    {
        ConnectionsPerIp = connections.PerIp(),
        OpenConnections = connections.Open,
        PeakConnections = connections.Peak,
        PeakConnectionsPerIp = connections.PeakPerIp,
        ConnectionLimitRejections = connections.Rejections,
        TooManyRequestsResponses = metrics.TooManyRequests,
        RequestsByKind = metrics.RequestsByKind(),
        BlockingQueriesInFlight = metrics.BlockingInFlight,
        Faults = faults.Counters,
    };

    private static IPEndPoint ParseEndpoint(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"DevAgentOptions.Url must be http://<host>:<port>, got '{url}'.");
        }

        var host = uri.Host.Trim('[', ']');
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" or "0.0.0.0" => IPAddress.Any,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => throw new ArgumentException($"DevAgentOptions.Url must name an IP address or localhost, got '{uri.Host}'."),
        };
        return new IPEndPoint(address, uri.Port);
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
    }
}
