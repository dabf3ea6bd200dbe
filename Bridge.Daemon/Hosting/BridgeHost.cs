using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds;
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
        services.AddSingleton(settings.Consul);
        services.AddSingleton(settings.Xds);
        services.AddSingleton(settings.Ads);
        services.AddSingleton(settings.Admin);
        services.AddSingleton(settings.Catalog);
        services.AddSingleton(settings.State);
        services.AddSingleton(TimeProvider.System);
        var consulAddress = new Uri(settings.Consul.Address);
        var consulHttp = services.AddHttpClient<ConsulClient>(http =>
            {
                http.BaseAddress = consulAddress;
                // Each query carries its own timeout (wait + wait/16 + margin).
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => ConsulTransport.CreateHandler(settings.Consul, sp.GetRequiredService<ConnectionBudget>().Sources))
            // The token travels in a header: no header value is ever logged, whatever the log level.
            .RedactLoggedHeaders(_ => true);
        if (settings.Consul.UsesTls)
        {
            consulHttp.AddHttpMessageHandler(sp => new Http2FallbackWarning(settings.Consul, sp.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category)));
            if (!string.IsNullOrEmpty(settings.Consul.TlsServerName))
            {
                consulHttp.AddHttpMessageHandler(() => new TlsServerNameHandler(settings.Consul.TlsServerName, consulAddress.Port));
            }
        }

        // Always present, so that a reload can turn authorization on, change it or turn it off.
        var authorizer = new ReloadableStreamAuthorizer(settings.AdsAuthorization);
        services.AddSingleton<IStreamAuthorizer>(authorizer);

        services.AddSingleton(sp => new ConnectionBudget(settings.Consul, sp.GetRequiredService<ILogger<ConnectionBudget>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<ConnectionBudget>().Slots);
        services.AddSingleton<CatalogWatcher>();
        services.AddSingleton(sp => new CatalogStore(sp.GetRequiredService<ILogger<CatalogStore>>(), settings.Catalog, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<XdsCache>();
        services.AddSingleton<StreamRegistry>();
        services.AddHostedService<CatalogPipeline>();
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<SystemdNotifications>();
        if (configuration is IConfigurationRoot root)
        {
            services.AddSingleton(sp => new SettingsReloader(
                settings, root, sp.GetRequiredService<CatalogWatcher>(), sp.GetRequiredService<CatalogStore>(), sp.GetRequiredService<XdsCache>(), sp.GetRequiredService<ILogger<SettingsReloader>>()));
            services.AddHostedService(sp => sp.GetRequiredService<SettingsReloader>());
        }
        services.AddGrpc();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Services.GetService<SettingsReloader>()?.OnReloaded(next => authorizer.Update(next.AdsAuthorization));
        SecurityPosture.Report(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category), settings, app.Services.GetRequiredService<ConnectionBudget>());
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
