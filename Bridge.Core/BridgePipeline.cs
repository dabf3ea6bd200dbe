using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds;

namespace Bridge.Core;

/// <summary>Where the last good catalog is kept across restarts.</summary>
/// <param name="Path">The state file.</param>
/// <param name="WriteInterval">Writes happen at most this often; the newest catalog wins.</param>
/// <param name="MaxAge">A file saved longer ago than this is not served at start.</param>
public sealed record StatePersistence(string Path, TimeSpan WriteInterval, TimeSpan MaxAge);

/// <summary>Everything the stages are configured with: one snapshot, replaced whole on a reload.</summary>
public sealed record PipelineSettings(
    ConsulOptions Consul,
    CatalogOptions Catalog,
    XdsOptions Xds,
    AdsOptions Ads,
    AdsAuthorizationOptions Authorization,
    StatePersistence? State);

/// <summary>What the bridge is serving, in the words readiness and metrics use.</summary>
public enum ServingStatus
{
    /// <summary>No full catalog yet: proxies are not answered.</summary>
    Starting,

    /// <summary>Serving a catalog read from Consul, and Consul answers.</summary>
    Ready,

    /// <summary>
    /// Serving, but not exactly what Consul says: Consul is unreachable or erroring, an ACL-filtered answer or a
    /// suspect removal is held back, or some service was never read (<see cref="ServingState.Reasons"/> says which).
    /// </summary>
    Degraded,

    /// <summary>Serving the catalog from the state file; Consul has not answered since start.</summary>
    Stale,
}

/// <summary>The serving state and why, at one moment.</summary>
/// <param name="Unread">Services Consul lists but has never answered for.</param>
/// <param name="StaleSince">Since when what is served may be out of date; null while current.</param>
public sealed record ServingState(
    ServingStatus Status, bool ConsulAvailable, IReadOnlyList<string> Reasons, IReadOnlyList<string> Unread, DateTimeOffset? StaleSince)
{
    /// <summary>Whether Consul answers the service list (false: Consul itself is out of reach, not one service).</summary>
    public bool ConsulReachable { get; init; } = true;
}

/// <summary>
/// The bridge's stages wired together, and the one way a host composes them: Consul (blocking queries) ->
/// Catalog (immutable model, diff, guards, state file) -> Xds (translation into versioned snapshots) -> Ads
/// (streams to proxies). The host runs <see cref="RunAsync"/>, serves <see cref="AdsService"/> over gRPC, reads the
/// serving state and snapshots for operators, and hands every settings reload to <see cref="ApplyAsync"/>.
/// </summary>
public sealed class BridgePipeline
{
    private readonly CatalogWatcher _watcher;
    private readonly ConsulClient _consul;
    private readonly ConsulConnections _connections;
    private readonly CatalogStore _store;
    private readonly XdsCache _cache;
    private readonly ReloadableStreamAuthorizer _authorizer;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private PipelineSettings _settings;

    private BridgePipeline(PipelineSettings settings, HttpClient consul, ILoggerFactory loggers, TimeProvider time, ConsulConnections connections)
    {
        _settings = settings;
        _loggers = loggers;
        _time = time;
        _connections = connections;
        _consul = new ConsulClient(consul, settings.Consul, loggers.CreateLogger<ConsulClient>());
        _watcher = new CatalogWatcher(_consul, settings.Consul, loggers.CreateLogger<CatalogWatcher>(), time, connections.Budget.Slots);
        _store = new CatalogStore(loggers.CreateLogger<CatalogStore>(), settings.Catalog, time);
        _cache = new XdsCache(settings.Xds, loggers.CreateLogger<XdsCache>());
        _store.Subscribe(_cache.Apply);
        // Routing needs health reads beyond each service's own (subsets, other datacenters): the watcher follows them.
        _store.Subscribe((catalog, diff) =>
        {
            if (!diff.Routing.IsEmpty)
            {
                _watcher.WatchTargets(catalog.Routing.Queries().ToHashSet());
            }
        });
        Streams = new StreamRegistry();
        _authorizer = new ReloadableStreamAuthorizer(settings.Authorization);
        AdsService = new AdsService(_cache, Streams, () => Settings.Ads, loggers.CreateLogger<AdsService>(), _authorizer, time);
    }

    /// <summary>Builds the stages; nothing runs until <see cref="RunAsync"/>.</summary>
    /// <param name="consul">The HTTP client every Consul query goes through, its base address Consul's.</param>
    /// <param name="connections">The query slots and source addresses <paramref name="consul"/>'s transport was built with; by default, made from the settings.</param>
    public static BridgePipeline Create(PipelineSettings settings, HttpClient consul, ILoggerFactory loggers, TimeProvider? time = null, ConsulConnections? connections = null) =>
        new(settings, consul, loggers, time ?? TimeProvider.System, connections ?? ConsulConnections.Create(settings.Consul, loggers, time));

    /// <summary>The Aggregated Discovery Service (state of the world and delta) for the host to serve over gRPC.</summary>
    public AdsService AdsService { get; }

    /// <summary>Every open xDS stream.</summary>
    public StreamRegistry Streams { get; }

    /// <summary>The catalog being served.</summary>
    public CatalogSnapshot Catalog => _store.Current;

    /// <summary>The xDS snapshot being served.</summary>
    public XdsSnapshot Xds => _cache.Current;

    /// <summary>The catalog stage, for tests that feed it Consul's answers directly.</summary>
    internal CatalogStore Store => _store;

    /// <summary>The xDS stage, for tests that look at what it holds.</summary>
    internal XdsCache Cache => _cache;

    /// <summary>The settings in force.</summary>
    public PipelineSettings Settings => Volatile.Read(ref _settings);

    /// <summary>Services with a blocking watch on Consul.</summary>
    public int WatchedServices => _watcher.WatchedServices;

    /// <summary>A removal held back as suspect by the removal guard, or null.</summary>
    public RemovalHold? HeldRemoval => _store.HeldRemoval;

    /// <summary>Completes once a full catalog is served (from Consul or the state file): proxies are answered from then on.</summary>
    public Task WhenReady => _cache.WhenReady;

    /// <summary>What is served and why.</summary>
    public ServingState State
    {
        get
        {
            var reasons = _store.Problems;
            var status = !_cache.Current.Ready ? ServingStatus.Starting
                : _store.Current.Source == CatalogSource.Persisted ? ServingStatus.Stale
                : reasons.Count == 0 ? ServingStatus.Ready
                : ServingStatus.Degraded;
            return new ServingState(status, _store.ConsulAvailable, reasons, [.. _store.Unread], _store.StaleSince) { ConsulReachable = _store.ConsulReachable };
        }
    }

    /// <summary>An operator confirms the held removal: it is applied at once. Returns what was confirmed, or null when nothing was held.</summary>
    public RemovalHold? ConfirmHeldRemoval() => _store.ConfirmHeldRemoval();

    /// <summary>
    /// Serves the state file (if any, and if it is this bridge's and recent), then follows Consul until cancelled.
    /// Throws only on an unexpected failure of the catalog pipeline, which the host should treat as fatal.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var persisting = Task.CompletedTask;
        if (Settings.State is { } state)
        {
            var file = new CatalogStateFile(state.Path, CatalogStateFile.IdentityOf(Settings.Consul), _loggers.CreateLogger<CatalogStateFile>());
            if (file.TryLoad(_time.GetUtcNow(), state.MaxAge) is { } saved)
            {
                _store.LoadPersisted(saved.Services, saved.SavedAt, saved.Departed, saved.Routing);
            }

            persisting = new CatalogPersister(file, _store, state.WriteInterval, _time).RunAsync(ct);
        }

        var events = Channel.CreateUnbounded<ConsulEvent>(new UnboundedChannelOptions { SingleReader = true });
        var store = _store.RunAsync(events.Reader, ct);
        try
        {
            // How many queries may be in flight depends on the agent's own connection limit: read it first.
            await _connections.Budget.StartAsync(_consul.GetAgentConnectionLimitAsync, ct).ConfigureAwait(false);
            await _watcher.RunAsync(events.Writer, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            events.Writer.TryComplete();
        }

        try
        {
            await store.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        await persisting.ConfigureAwait(false);
    }

    /// <summary>
    /// Applies reloaded settings: watch filters, coalescing and guards, and translation take effect at once (proxies
    /// receive exactly the resources whose content changed); ADS settings and authorization apply to streams opened
    /// from now on; the rest (the Consul connection, listen addresses, the state file) only at the next start.
    /// </summary>
    public async Task ApplyAsync(PipelineSettings next)
    {
        var before = Settings;
        Volatile.Write(ref _settings, next);
        if (!next.Consul.IncludeServices.SequenceEqual(before.Consul.IncludeServices)
            || !next.Consul.ExcludeServices.SequenceEqual(before.Consul.ExcludeServices)
            || !next.Consul.IncludeTags.SequenceEqual(before.Consul.IncludeTags)
            || !next.Consul.ExcludeTags.SequenceEqual(before.Consul.ExcludeTags))
        {
            await _watcher.UpdateFiltersAsync(next.Consul).ConfigureAwait(false);
        }

        if (next.Catalog != before.Catalog)
        {
            _store.UpdateOptions(next.Catalog);
        }

        if (next.Xds != before.Xds)
        {
            _cache.UpdateOptions(next.Xds);
        }

        _authorizer.Update(next.Authorization);
    }
}
