using Bridge.Core;
using Bridge.Core.Consul;
using Bridge.Core.Ads;
using Bridge.Core.Configuration;
using Bridge.Daemon.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting.Systemd;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Logging;
using Bridge.Daemon.Security;
using Microsoft.Extensions.Logging.Console;

namespace Bridge.Daemon.Hosting;

/// <summary>Wires the stages together: Consul watcher -> catalog store -> xDS cache -> ADS server.</summary>
internal static class BridgeHost
{
    /// <param name="configure">Runs last, before the application is built (tests add log capture here).</param>
    public static WebApplication Build(string[] args, BridgeSettings settings, IConfiguration configuration, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        ConfigureLogging(builder.Logging);
        // Not AddSystemd(): its lifetime sends READY=1 as soon as the host starts, before any catalog is served.
        // SystemdNotifications tells systemd READY only once a full catalog is, and handles STOPPING and WATCHDOG.

        ListenAddress.TryParse(settings.Ads.Listen, out var ads);
        ListenAddress.TryParse(settings.Admin.Listen, out var admin);
        // Kestrel's own continuations (reading frames, handing a message to the gRPC reader, sending what a stream
        // wrote) run on the thread that completed the socket operation, already a thread-pool thread, instead of
        // being queued again: about one work item less per response (6.2 -> 5.1 in the load harness's scenario A).
        // "Unsafe" because a handler that blocked would hold up its connection: no handler here blocks.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(ads, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                AdsTls.Configure(
                    listen,
                    settings.AdsTls,
                    kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category),
                    kestrel.ApplicationServices.GetRequiredService<TimeProvider>());
            });
            kestrel.Listen(admin, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        // The settings in force; a reload publishes each new snapshot to it, and the pipeline applies it (below).
        var settingsMonitor = new SettingsMonitor(settings);
        services.AddSingleton(settingsMonitor);
        var consulAddress = new Uri(settings.Consul.Address);
        var consulHttp = services.AddHttpClient(ConsulHttpClient, http =>
            {
                http.BaseAddress = consulAddress;
                // Each query carries its own timeout (wait + wait/16 + margin).
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => ConsulTransport.CreateHandler(settings.Consul, sp.GetRequiredService<ConsulConnections>()))
            // The token travels in a header: no header value is ever logged, whatever the log level.
            .RedactLoggedHeaders(_ => true);
        if (settings.Consul.UsesTls)
        {
            consulHttp.AddHttpMessageHandler(sp => new Http2FallbackWarning(settings.Consul, sp.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category), sp.GetRequiredService<ConsulConnections>()));
            if (!string.IsNullOrEmpty(settings.Consul.TlsServerName))
            {
                consulHttp.AddHttpMessageHandler(() => new TlsServerNameHandler(settings.Consul.TlsServerName, consulAddress.Port));
            }
        }

        // Which local addresses Consul connections leave from and how many queries run at once: the transport
        // needs it before the pipeline, which reads the agent's own limit when it starts.
        services.AddSingleton(sp => ConsulConnections.Create(settings.Consul, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));

        // Core's stages, composed through their one entry point.
        services.AddSingleton(sp => BridgePipeline.Create(
            PipelineSettingsOf(settings),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(ConsulHttpClient),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ConsulConnections>()));
        services.AddSingleton(sp => sp.GetRequiredService<BridgePipeline>().AdsService);
        services.AddSingleton(sp => sp.GetRequiredService<BridgePipeline>().Streams);
        services.AddHostedService<CatalogPipeline>();
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<SystemdNotifications>();
        if (configuration is IConfigurationRoot root)
        {
            services.AddSingleton(sp => new SettingsReloader(root, settingsMonitor, sp.GetRequiredService<ILogger<SettingsReloader>>()));
            services.AddHostedService(sp => sp.GetRequiredService<SettingsReloader>());
        }

        services.AddGrpc();
        configure?.Invoke(builder);

        var app = builder.Build();
        SecurityPosture.Report(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category), settings, app.Services.GetRequiredService<ConsulConnections>());
        var pipeline = app.Services.GetRequiredService<BridgePipeline>();
        // What a reload can change live reaches the stages (SettingReloads says which settings that is).
        settingsMonitor.OnChange((change, _) => pipeline.ApplyAsync(PipelineSettingsOf(change.Next)));
        pipeline.AdsService.RetireConnection = RetireConnection;
        app.MapGrpcService<AdsService>();
        app.MapGrpcService<ClientStatusService>();
        AdminEndpoints.Map(app, admin.Port);
        BridgeGauges.Register(pipeline, TimeProvider.System);
        return app;
    }

    /// <summary>
    /// Closes the connection of a stream ended for its age gracefully: Kestrel sends HTTP/2 GOAWAY before the stream's
    /// OK, so the proxy's reconnect cannot reuse the connection and opens a new one, which its load balancer or DNS
    /// may send to another replica; the connection closes once its last stream is done.
    /// </summary>
    private static void RetireConnection(Grpc.Core.ServerCallContext call) =>
        Grpc.Core.ServerCallContextExtensions.GetHttpContext(call)
            .Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();

    /// <summary>The name of the HTTP client every Consul query goes through (its handler chain is the transport).</summary>
    internal const string ConsulHttpClient = "consul";

    /// <summary>What Core's stages are configured with, out of the daemon's settings.</summary>
    internal static PipelineSettings PipelineSettingsOf(BridgeSettings settings) => new(
        settings.Consul,
        settings.Catalog,
        settings.Xds,
        settings.Ads,
        settings.AdsAuthorization,
        settings.State.ResolvedPath is { } path ? new StatePersistence(path, settings.State.WriteInterval, settings.State.MaxAge) : null);

    /// <summary>JSON lines under systemd or when output is redirected (journald, files); readable text on a terminal.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();

        // A failure to start is reported by Program in one line (a busy port) or thrown; the host's own report of it
        // would only add a stack trace to the journal.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (SystemdHelpers.IsSystemdService() || Console.IsOutputRedirected)
        {
            logging.AddConsole().AddConsoleFormatter<JsonLineFormatter, ConsoleFormatterOptions>();
            logging.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = JsonLineFormatter.FormatterName);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            });
        }
    }
}
