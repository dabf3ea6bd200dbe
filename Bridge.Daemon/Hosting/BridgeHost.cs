using System.Net;
using Bridge.Core.Ads;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds;
using Bridge.Daemon.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting.Systemd;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Bridge.Daemon.Hosting;

/// <summary>Wires the stages together: Consul watcher -> catalog store -> xDS cache -> ADS server.</summary>
internal static class BridgeHost
{
    public static WebApplication Build(string[] args, BridgeSettings settings, IConfiguration configuration)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        ConfigureLogging(builder.Logging);
        builder.Services.AddSystemd();

        ListenAddress.TryParse(settings.Ads.Listen, out var ads);
        ListenAddress.TryParse(settings.Admin.Listen, out var admin);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(ads, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(admin, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var services = builder.Services;
        services.AddSingleton(settings.Consul);
        services.AddSingleton(settings.Xds);
        services.AddSingleton(settings.Ads);
        services.AddSingleton(settings.Admin);
        services.AddSingleton(settings.Catalog);
        services.AddSingleton(settings.State);
        services.AddSingleton(TimeProvider.System);
        services.AddHttpClient<ConsulClient>(http =>
            {
                http.BaseAddress = new Uri(settings.Consul.Address);
                // Each query carries its own timeout (wait + wait/16 + margin).
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.All,
                MaxConnectionsPerServer = settings.Consul.MaxConcurrentQueries,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            });
        services.AddSingleton<CatalogWatcher>();
        services.AddSingleton(sp => new CatalogStore(sp.GetRequiredService<ILogger<CatalogStore>>(), settings.Catalog, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<XdsCache>();
        services.AddSingleton<StreamRegistry>();
        services.AddHostedService<CatalogPipeline>();
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<SystemdNotifications>();
        services.AddGrpc();

        var app = builder.Build();
        var store = app.Services.GetRequiredService<CatalogStore>();
        var cache = app.Services.GetRequiredService<XdsCache>();
        store.Subscribe(cache.Apply);
        app.MapGrpcService<AdsService>();
        app.MapGrpcService<ClientStatusService>();
        AdminEndpoints.Map(app, admin.Port);
        BridgeGauges.Register(
            app.Services.GetRequiredService<StreamRegistry>(), store, app.Services.GetRequiredService<CatalogWatcher>(), cache, TimeProvider.System);
        return app;
    }

    /// <summary>JSON lines under systemd or when output is redirected (journald, files); readable text on a terminal.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (SystemdHelpers.IsSystemdService() || Console.IsOutputRedirected)
        {
            logging.AddConsole(o => o.FormatterName = JsonLineFormatter.FormatterName)
                .AddConsoleFormatter<JsonLineFormatter, ConsoleFormatterOptions>();
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
