using Bridge.Core;
using Bridge.Core.Ads;
using Bridge.Core.Catalog;
using Bridge.Core.Observability;
using Bridge.Core.Xds;
using Google.Protobuf;
using Prometheus;

namespace Bridge.Daemon.Admin;

/// <summary>
/// Health, readiness, debug views and metrics, served only on the admin listener: a request reaching the
/// ADS port with an admin path gets 404, whatever Host header it sends.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(WebApplication app, int adminPort)
    {
        var admin = app.MapGroup("").AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.LocalPort == adminPort ? await next(context).ConfigureAwait(false) : Results.NotFound());

        admin.MapGet("/healthz", () => Results.Text("ok\n"));
        admin.MapGet("/readyz", (BridgePipeline pipeline) =>
        {
            var view = Readiness(pipeline);
            // Not ready for a load balancer while starting, and while Consul is out of reach (its service list does
            // not answer): another replica that reaches Consul should take new proxies. What is served meanwhile stays
            // the last good state. One service's reads failing is not that: 200, degraded.
            return Results.Json(view, AdminJsonContext.Default.ReadinessView, statusCode: view.Status == "starting" || !view.ConsulReachable ? 503 : 200);
        });
        admin.MapGet("/debug/catalog", (BridgePipeline pipeline) => Results.Json(Catalog(pipeline), AdminJsonContext.Default.CatalogView));

        // An operator who knows a held removal is real (a service decommissioned, a filter narrowed on purpose) applies it now.
        admin.MapPost("/catalog/removal/confirm", (BridgePipeline pipeline) => pipeline.ConfirmHeldRemoval() is { } hold
            ? Results.Text($"applying the held removal of {hold.Services.Count} services and {hold.Instances} instances\n")
            : Results.Text("no removal is held\n", statusCode: 409));
        admin.MapGet("/debug/xds", (BridgePipeline pipeline, bool? resources) => Results.Json(Xds(pipeline.Xds, resources == true), AdminJsonContext.Default.XdsView));
        admin.MapGet("/debug/clients", (StreamRegistry registry) => Results.Json(Clients(registry), AdminJsonContext.Default.IReadOnlyListClientView));
        admin.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
    }

    internal static ReadinessView Readiness(BridgePipeline pipeline)
    {
        var catalog = pipeline.Catalog;
        var state = pipeline.State;
        return new ReadinessView(
            state.Status.ToString().ToLowerInvariant(),
            state.ConsulAvailable,
            catalog.Source.ToString().ToLowerInvariant(),
            catalog.Services.Count,
            catalog.InstanceCount,
            catalog.Generation,
            pipeline.Xds.Generation,
            state.StaleSince,
            state.Reasons,
            state.Unread)
        {
            ConsulReachable = state.ConsulReachable,
        };
    }

    private static CatalogView Catalog(BridgePipeline pipeline)
    {
        var snapshot = pipeline.Catalog;
        return new(
            snapshot.Source.ToString().ToLowerInvariant(),
            snapshot.Synced,
            snapshot.Generation,
            pipeline.HeldRemoval is { } hold
                ? new HeldRemovalView(hold.Since, hold.Since + pipeline.Settings.Catalog.RemovalGuardConfirmAfter, hold.Instances, [.. hold.Services])
                : null,
            pipeline.State.Unread,
            [.. snapshot.Departed.OrderBy(d => d.Value).Select(d => d.Key)],
            [.. snapshot.Services.Values.Select(s => new CatalogServiceView(s.Name, s.Index, [.. s.Instances.Select(i => new InstanceView(
                i.Key.Node, i.Key.ServiceId, i.Address, i.Port, i.Health.ToString().ToLowerInvariant(), i.PassingWeight, i.WarningWeight,
                i.Datacenter, i.Tags, i.Meta))], LeftOut(s.LeftOut)))]);
    }

    private static IReadOnlyList<LeftOutView> LeftOut(IEnumerable<Bridge.Core.Consul.SkippedInstance> skipped) =>
        [.. skipped.Select(l => new LeftOutView(l.Node, l.ServiceId, l.Field, l.Value))];

    private static readonly JsonFormatter ResourceFormatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(XdsTypeRegistry.Value));

    private static XdsView Xds(XdsSnapshot snapshot, bool withResources) => new(
        snapshot.Generation,
        snapshot.Ready,
        [.. snapshot.Sets.OrderBy(kv => kv.Key.Kind).ThenBy(kv => TypeUrls.All.ToList().IndexOf(kv.Key.TypeUrl)).Select(kv => new XdsTypeView(
            kv.Key.Kind.ToString().ToLowerInvariant(),
            kv.Key.TypeUrl,
            [.. kv.Value.ByName.Values.Select(r => new XdsResourceView(
                r.Name, r.Version, kv.Value.Wildcard.Contains(r.Name), r.Packed.Value.Length,
                withResources ? JsonDocument.Parse(ResourceFormatter.Format(r.Message)).RootElement : null))]))],
        snapshot.LeftOut.ToDictionary(kv => kv.Key, kv => LeftOut(kv.Value), StringComparer.Ordinal),
        snapshot.InvalidMeta.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Select(m => $"{m.Key}={m.Value} (accepted: {m.Accepted})")], StringComparer.Ordinal),
        [.. snapshot.Tombstones],
        snapshot.DescribeChains().ToDictionary(c => c.Service, c => new ChainView(c.Clusters, c.NotSent, c.Rejected), StringComparer.Ordinal),
        snapshot.DescribeCallers().ToDictionary(c => c.Caller, c => new CallerView(c.Defaults, c.Overrides, c.Clusters, c.NotApplied), StringComparer.Ordinal));

    internal static IReadOnlyList<ClientView> Clients(StreamRegistry registry) =>
        [.. registry.Snapshot().Select(s => new ClientView(
            s.Id,
            s.Client?.NodeId ?? "",
            s.Client?.Cluster ?? "",
            s.Client?.Kind.ToString().ToLowerInvariant() ?? "",
            s.Protocol == XdsProtocol.Delta ? "delta" : "sotw",
            s.Client?.UserAgent ?? "",
            s.Peer,
            s.OpenedAt,
            [.. s.Describe().Select(t => new ClientTypeView(t.TypeUrl, t.Wildcard, t.Subscribed, t.SentVersion, t.AckedVersion, t.NackedVersion, t.NackError, t.SentResourceVersions))])
        {
            ServiceName = s.Client?.Caller,
        })];
}
