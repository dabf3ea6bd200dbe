using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul;

namespace Bridge.Core.Catalog;

/// <summary>
/// Owns the current <see cref="CatalogSnapshot"/>. Reads what the watcher learned, applies it in batches
/// (whatever arrived while the last batch was applied is applied together), and publishes a new snapshot
/// with its <see cref="CatalogDiff"/> only when some service's instances really changed. An answer that would
/// remove most of what is served is held back as suspect (<see cref="HeldRemoval"/>) until Consul has said the same
/// for <see cref="CatalogOptions.RemovalGuardConfirmAfter"/> or an operator confirms it.
/// </summary>
internal sealed class CatalogStore
{
    private readonly ILogger _logger;
    private readonly List<Action<CatalogSnapshot, CatalogDiff>> _subscribers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableSortedSet<string>? _serviceSet;

    /// <summary>Whether the last read of the service list answered (the watcher says when that changes).</summary>
    private bool _listReachable = true;
    private readonly HashSet<string> _readFromConsul = new(StringComparer.Ordinal);
    private CatalogSnapshot _current = CatalogSnapshot.Empty;

    /// <summary>The catalog as Consul says it is; what is served differs from it only while a removal is held.</summary>
    private ImmutableSortedDictionary<string, CatalogService> _consul = CatalogSnapshot.Empty.Services;

    /// <summary>Held ACL-filtered answers: the service list (key "") or a service, with how much each keeps.</summary>
    private readonly Dictionary<string, int> _aclHolds = new(StringComparer.Ordinal);

    /// <summary>Services with served instances kept at their last state because Consul now lists them unreadably.</summary>
    private readonly Dictionary<string, int> _unreadableHolds = new(StringComparer.Ordinal);

    private readonly Chains.RoutingState _routing;
    private RemovalHold? _hold;
    private volatile bool _confirmRequested;
    private CancellationTokenSource? _nudge;
    private long _syncDeadline = long.MaxValue;
    private bool _syncBoundPassed;
    private long _departures;

    private CatalogOptions _options;
    private readonly TimeProvider _time;

    public CatalogStore(ILogger<CatalogStore> logger, CatalogOptions? options = null, TimeProvider? time = null)
    {
        _logger = logger;
        _options = options ?? new CatalogOptions();
        _time = time ?? TimeProvider.System;
        _routing = new Chains.RoutingState(logger);
    }

    public CatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>The settings in force (a reload may change them).</summary>
    public CatalogOptions Options => Volatile.Read(ref _options);

    /// <summary>New coalescing and guard settings take effect from the next burst.</summary>
    public void UpdateOptions(CatalogOptions options) => Volatile.Write(ref _options, options);

    /// <summary>Completes once every watched service has been read from Consul at least once (or <see cref="CatalogOptions.SyncTimeout"/> passed).</summary>
    public Task Synced => _synced.Task;

    /// <summary>Whether Consul answered the last query of every watch.</summary>
    public bool ConsulAvailable { get; private set; } = true;

    /// <summary>
    /// Whether Consul's service list answers: false until it first has (a daemon started from its state file while
    /// Consul is down knows nothing else yet), and false again while its reads fail, Consul itself out of reach.
    /// </summary>
    public bool ConsulReachable => _listReachable && Volatile.Read(ref _serviceSet) is not null;

    /// <summary>
    /// Since when what is served may be out of date: when the state file was saved, or when Consul stopped
    /// answering; null while the catalog is current.
    /// </summary>
    public DateTimeOffset? StaleSince { get; private set; }

    /// <summary>A suspect removal being held back, or null.</summary>
    public RemovalHold? HeldRemoval => Volatile.Read(ref _hold);

    /// <summary>Services Consul lists that have never been read (start-up went on without them); served from the state file if it had them.</summary>
    public ImmutableSortedSet<string> Unread { get; private set; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>How many services, and how many services' instance lists, are kept because an ACL-filtered answer left them out.</summary>
    public (int Services, int ServicesWithInstances) AclHeld { get; private set; }

    /// <summary>How many instances are served from their last known state because Consul's answer lists them in a form that cannot be read.</summary>
    public int UnreadableHeld { get; private set; }

    /// <summary>Whether what is served differs from what Consul last said, on purpose: the state file is not written then.</summary>
    public bool Holding => HeldRemoval is not null || AclHeld != (0, 0) || UnreadableHeld > 0;

    /// <summary>Why the bridge is not fully current, one phrase each (empty while it is).</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            var problems = new List<string>();
            if (!ConsulAvailable)
            {
                problems.Add("Consul is unreachable or erroring");
            }

            var (services, instances) = AclHeld;
            if (services > 0)
            {
                problems.Add($"ACLs filtered {services} served services out of Consul's service list; they are kept");
            }

            if (instances > 0)
            {
                problems.Add($"ACLs filtered served instances of {instances} services out of Consul's answers; they are kept");
            }

            if (UnreadableHeld > 0)
            {
                problems.Add($"{UnreadableHeld} served instances are listed by Consul in a form that cannot be read; their last known state is kept");
            }

            if (HeldRemoval is { } hold)
            {
                problems.Add($"a removal of {hold.Services.Count} services and {hold.Instances} instances is held as suspect since {hold.Since:o}");
            }

            if (_routing.Failing is { Count: > 0 } failing)
            {
                problems.Add($"Consul does not answer {failing.Count} routing reads (what was read last stays in force): {string.Join("; ", failing.Take(5))}");
            }

            if (Unread.Count > 0)
            {
                problems.Add($"Consul did not answer for {Unread.Count} services: {string.Join(", ", Unread.Take(10))}");
            }

            return problems;
        }
    }

    /// <summary>Called on the store's loop after each published snapshot, in order.</summary>
    public void Subscribe(Action<CatalogSnapshot, CatalogDiff> subscriber)
    {
        lock (_subscribers)
        {
            _subscribers.Add(subscriber);
        }
    }

    /// <summary>
    /// An operator says the held removal is real: it is applied at once. Returns the hold that was confirmed, or
    /// null when nothing was held.
    /// </summary>
    public RemovalHold? ConfirmHeldRemoval()
    {
        var hold = HeldRemoval;
        if (hold is null)
        {
            return null;
        }

        _confirmRequested = true;
        Volatile.Read(ref _nudge)?.Cancel();
        return hold;
    }

    /// <summary>
    /// Applies events as they come, coalescing bursts: the first change after a quiet spell is applied at once;
    /// while changes keep arriving within <see cref="CatalogOptions.QuietPeriod"/> they are merged (the latest
    /// answer for each service wins) and applied when the catalog goes quiet or <see cref="CatalogOptions.MaxDelay"/>
    /// after the first of them, whichever comes first. A held removal's deadline, an operator's confirmation and the
    /// start-up bound also run the loop.
    /// </summary>
    public async Task RunAsync(ChannelReader<ConsulEvent> events, CancellationToken ct)
    {
        var batch = new List<ConsulEvent>();
        var lastApplied = long.MinValue;
        while (await WaitAsync(events, ct).ConfigureAwait(false))
        {
            batch.Clear();
            Drain(events, batch);
            var burstStart = _time.GetTimestamp();
            if (batch.Count > 0 && lastApplied != long.MinValue && _time.GetElapsedTime(lastApplied, burstStart) < _options.QuietPeriod)
            {
                await CoalesceAsync(events, batch, burstStart, ct).ConfigureAwait(false);
            }

            Apply(batch);
            lastApplied = _time.GetTimestamp();
        }
    }

    /// <summary>Waits for events, or for a deadline of the store's own (the start-up bound, a held removal's confirmation).</summary>
    private async ValueTask<bool> WaitAsync(ChannelReader<ConsulEvent> events, CancellationToken ct)
    {
        var deadline = NextDeadline();
        if (deadline is null)
        {
            return await events.WaitToReadAsync(ct).ConfigureAwait(false);
        }

        var left = deadline.Value - _time.GetUtcNow();
        if (left <= TimeSpan.Zero || _confirmRequested)
        {
            return true;
        }

        using var timer = new CancellationTokenSource(left, _time);
        using var nudge = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        Volatile.Write(ref _nudge, nudge);
        try
        {
            if (_confirmRequested)
            {
                return true;
            }

            return await events.WaitToReadAsync(nudge.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return true;
        }
        finally
        {
            Volatile.Write(ref _nudge, null);
        }
    }

    private DateTimeOffset? NextDeadline()
    {
        DateTimeOffset? deadline = null;
        if (_hold is { } hold)
        {
            deadline = hold.Since + _options.RemovalGuardConfirmAfter;
        }

        if (_syncDeadline != long.MaxValue && WaitingForFirstReads(_current))
        {
            var sync = new DateTimeOffset(_syncDeadline, TimeSpan.Zero);
            deadline = deadline is null || sync < deadline ? sync : deadline;
        }

        return deadline;
    }

    /// <summary>
    /// Whether start-up still waits for the first read of some service: nothing served yet, or only the state file.
    /// Once the bound has passed it waits no more; late services then join as they are read.
    /// </summary>
    private bool WaitingForFirstReads(CatalogSnapshot current) =>
        !_syncBoundPassed && _serviceSet is not null && (!current.Synced || current.Source == CatalogSource.Persisted);

    private async Task CoalesceAsync(ChannelReader<ConsulEvent> events, List<ConsulEvent> batch, long burstStart, CancellationToken ct)
    {
        while (true)
        {
            var left = _options.MaxDelay - _time.GetElapsedTime(burstStart);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(left < _options.QuietPeriod ? left : _options.QuietPeriod);
            try
            {
                if (!await events.WaitToReadAsync(quiet.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return;
            }

            Drain(events, batch);
        }
    }

    private static void Drain(ChannelReader<ConsulEvent> events, List<ConsulEvent> batch)
    {
        while (events.TryRead(out var e))
        {
            batch.Add(e);
        }
    }

    /// <summary>
    /// Serves a catalog saved by an earlier run until Consul answers: it counts as synced (proxies are answered)
    /// but its source stays <see cref="CatalogSource.Persisted"/> until every service has been read again.
    /// Call before <see cref="RunAsync"/>.
    /// </summary>
    public void LoadPersisted(
        ImmutableSortedDictionary<string, CatalogService> services,
        DateTimeOffset savedAt,
        ImmutableSortedDictionary<string, long>? departed = null,
        SavedRouting? routing = null)
    {
        var before = _current;
        StaleSince = savedAt;
        _consul = services;
        departed ??= before.Departed;
        _departures = departed.IsEmpty ? 0 : departed.Values.Max();
        if (routing is not null)
        {
            _routing.Restore(routing);
        }

        // Splits, subsets and failover are served as saved until Consul answers, like the instances.
        var (restored, routingChange) = _routing.Build(services, before.Routing, membershipChanged: true);
        var next = new CatalogSnapshot(services, before.Generation + 1, Synced: true, CatalogSource.Persisted) { Departed = departed, Routing = restored };
        CatalogLog.PersistedLoaded(_logger, services.Count, next.InstanceCount, savedAt);
        Publish(next, Diff(before.Services, services) with { Routing = routingChange });
    }

    /// <summary>Applies a batch of events and publishes the result if anything changed.</summary>
    internal void Apply(IReadOnlyList<ConsulEvent> batch)
    {
        var before = _current;
        var consul = _consul.ToBuilder();
        foreach (var e in batch)
        {
            if (_routing.Take(e))
            {
                continue;
            }

            switch (e)
            {
                case ServiceSetObserved set:
                    if (_serviceSet is null)
                    {
                        _syncDeadline = (_time.GetUtcNow() + _options.SyncTimeout).UtcTicks;
                    }

                    _serviceSet = set.Services;
                    foreach (var name in consul.Keys.Where(n => !set.Services.Contains(n)).ToList())
                    {
                        consul.Remove(name);
                    }

                    _readFromConsul.RemoveWhere(n => !set.Services.Contains(n));
                    break;

                case ServiceEntriesObserved read when _serviceSet?.Contains(read.Service) == true:
                    _readFromConsul.Add(read.Service);
                    var leftOut = new List<SkippedInstance>(read.Skipped);
                    var instances = InstanceFactory.Build(read.Service, read.Entries, (s, key) => CatalogLog.DuplicateInstance(_logger, s, key.ToString()), leftOut);
                    var service = new CatalogService(read.Service, read.Index, instances) { LeftOut = [.. leftOut] };
                    ReportLeftOut(_logger, read.Service, consul.GetValueOrDefault(read.Service), service);
                    consul[read.Service] = service;
                    break;

                case ConsulAvailabilityChanged availability:
                    ConsulAvailable = availability.Available;
                    if (!availability.Available)
                    {
                        StaleSince ??= _time.GetUtcNow();
                    }

                    break;

                case ConsulReachabilityChanged reachability:
                    _listReachable = reachability.Reachable;
                    break;

                case AclHoldChanged acl:
                    if (acl.Held > 0)
                    {
                        _aclHolds[acl.Service ?? ""] = acl.Held;
                    }
                    else
                    {
                        _aclHolds.Remove(acl.Service ?? "");
                    }

                    AclHeld = (_aclHolds.GetValueOrDefault(""), _aclHolds.Count - (_aclHolds.ContainsKey("") ? 1 : 0));
                    break;

                case UnreadableHoldChanged unreadable:
                    if (unreadable.Held > 0)
                    {
                        _unreadableHolds[unreadable.Service] = unreadable.Held;
                    }
                    else
                    {
                        _unreadableHolds.Remove(unreadable.Service);
                    }

                    UnreadableHeld = _unreadableHolds.Values.Sum();
                    break;
            }
        }

        _consul = consul.ToImmutable();

        // Synced with Consul once every listed service has been read in this process: until then a service
        // keeps what the state file said, never an empty list. Past the start-up bound the rest is served without
        // the services Consul will not answer for.
        // Routing counts too: a chain served as the default for a moment would send a canary's share to the wrong place.
        var served = Guard(before, _consul);
        var diff = Diff(before.Services, served);
        var (routing, routingChange) = _routing.Build(served, before.Routing, diff.Changes.Any(c => c.Kind != ServiceChangeKind.Changed));
        diff = diff with { Routing = routingChange };
        var unread = _serviceSet is null ? [] : _serviceSet.Except(_readFromConsul);
        var consulSynced = _serviceSet is not null && unread.Count == 0 && _routing.ReadOnce(routing);
        var timedOut = !consulSynced && WaitingForFirstReads(before) && _time.GetUtcNow().UtcTicks >= _syncDeadline;
        if (timedOut)
        {
            _syncBoundPassed = true;
            CatalogLog.SyncedWithout(_logger, unread.Count, string.Join(", ", unread.Take(20)));
        }

        if (_syncBoundPassed)
        {
            Unread = unread;
        }

        var source = _serviceSet is null ? before.Source
            : consulSynced || timedOut || before.Source != CatalogSource.Persisted ? CatalogSource.Consul : CatalogSource.Persisted;
        var nowSynced = before.Synced || consulSynced || timedOut;
        var publish = !diff.IsEmpty || nowSynced != before.Synced || source != before.Source;
        if (ConsulAvailable && source == CatalogSource.Consul)
        {
            StaleSince = null;
        }

        var changedAt = batch.Where(e => e.ReceivedAt != 0).Select(e => e.ReceivedAt).DefaultIfEmpty(0).Min();
        var next = new CatalogSnapshot(served, before.Generation + (publish ? 1 : 0), nowSynced, source)
        {
            ChangedAt = changedAt,
            Departed = Departures(before.Departed, diff),
            Routing = routing,
        };
        if (!publish)
        {
            // Keep the new Consul indexes for diagnostics, without a new generation or a push.
            Volatile.Write(ref _current, next);
            return;
        }

        Publish(next, diff);
        if (nowSynced && !_synced.Task.IsCompleted)
        {
            CatalogLog.Synced(_logger, next.Services.Count, next.InstanceCount);
            _synced.TrySetResult();
        }
    }

    /// <summary>
    /// What to serve, given what Consul now says: Consul's catalog, unless that would remove more than the guard
    /// allows of what is served. Then what is served keeps every service and instance Consul left out (changes to
    /// what Consul still lists go through) until Consul takes the removal back, says it for long enough, or an
    /// operator confirms it.
    /// </summary>
    private ImmutableSortedDictionary<string, CatalogService> Guard(CatalogSnapshot before, ImmutableSortedDictionary<string, CatalogService> consul)
    {
        var options = _options;
        if (_hold is { } hold)
        {
            var confirmedBy = _confirmRequested ? "operator"
                : _time.GetUtcNow() >= hold.Since + options.RemovalGuardConfirmAfter ? "time"
                : !options.RemovalGuard ? "configuration"
                : null;
            var (services, instances) = Removal(hold.Baseline, consul);
            if (confirmedBy is not null || !Suspect(options, hold.Baseline, services.Count, instances))
            {
                _confirmRequested = false;
                Volatile.Write(ref _hold, null);
                if (confirmedBy is null)
                {
                    CatalogLog.RemovalReleased(_logger, services.Count, instances);
                }
                else
                {
                    CatalogLog.RemovalApplied(_logger, services.Count, instances, confirmedBy);
                }

                return consul;
            }

            Volatile.Write(ref _hold, hold with { Services = services, Instances = instances });
            return Keep(consul, hold.Baseline);
        }

        _confirmRequested = false;
        if (!options.RemovalGuard || !before.Synced)
        {
            return consul;
        }

        var (removedServices, removedInstances) = Removal(before.Services, consul);
        if (!Suspect(options, before.Services, removedServices.Count, removedInstances))
        {
            return consul;
        }

        var started = new RemovalHold(_time.GetUtcNow(), before.Services, removedServices, removedInstances);
        Volatile.Write(ref _hold, started);
        CatalogLog.RemovalHeld(_logger, removedServices.Count, before.Services.Count, removedInstances, before.InstanceCount, options.RemovalGuardConfirmAfter);
        return Keep(consul, before.Services);
    }

    private static bool Suspect(CatalogOptions options, ImmutableSortedDictionary<string, CatalogService> served, int services, int instances)
    {
        var servedInstances = served.Values.Sum(s => s.Instances.Length);
        return (services > options.RemovalGuardMinServices && services > options.RemovalGuardShare * served.Count)
            || (instances > options.RemovalGuardMinInstances && instances > options.RemovalGuardShare * servedInstances);
    }

    /// <summary>
    /// The services <paramref name="from"/> has and <paramref name="to"/> does not, and the instances lost: per
    /// service, those removed beyond those added (a deployment that replaces every instance loses none).
    /// </summary>
    private static (ImmutableSortedSet<string> Services, int Instances) Removal(
        ImmutableSortedDictionary<string, CatalogService> from, ImmutableSortedDictionary<string, CatalogService> to)
    {
        var services = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        var instances = 0;
        foreach (var (name, service) in from)
        {
            if (!to.TryGetValue(name, out var now))
            {
                services.Add(name);
                instances += service.Instances.Length;
            }
            else if (!ReferenceEquals(service, now))
            {
                var (added, removed, _) = CatalogDiff.Instances(service.Instances, now.Instances);
                instances += Math.Max(0, removed.Length - added.Length);
            }
        }

        return (services.ToImmutable(), instances);
    }

    /// <summary>Consul's catalog plus whatever of <paramref name="kept"/> it left out, service by service and instance by instance.</summary>
    private static ImmutableSortedDictionary<string, CatalogService> Keep(
        ImmutableSortedDictionary<string, CatalogService> consul, ImmutableSortedDictionary<string, CatalogService> kept)
    {
        var result = consul.ToBuilder();
        foreach (var (name, old) in kept)
        {
            if (!consul.TryGetValue(name, out var now))
            {
                result[name] = old;
                continue;
            }

            var missing = CatalogDiff.Instances(old.Instances, now.Instances).Removed;
            if (missing.Length > 0)
            {
                result[name] = now with { Instances = [.. now.Instances.Concat(missing).OrderBy(i => i.Key)] };
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Services that left are remembered in the order they left (bounded); one that comes back is forgotten.</summary>
    private ImmutableSortedDictionary<string, long> Departures(ImmutableSortedDictionary<string, long> departed, CatalogDiff diff)
    {
        if (diff.IsEmpty)
        {
            return departed;
        }

        var builder = departed.ToBuilder();
        foreach (var change in diff.Changes)
        {
            if (change.Kind == ServiceChangeKind.Removed)
            {
                builder[change.Service] = ++_departures;
            }
            else if (change.Kind == ServiceChangeKind.Added)
            {
                builder.Remove(change.Service);
            }
        }

        while (builder.Count > CatalogSnapshot.MaxDeparted)
        {
            builder.Remove(builder.MinBy(kv => kv.Value).Key);
        }

        return builder.ToImmutable();
    }

    /// <summary>
    /// Logs instances newly left out of an answer (each once, not on every answer that still has them);
    /// <paramref name="read"/> names what was read: the service, or a subset or datacenter of it.
    /// </summary>
    internal static void ReportLeftOut(ILogger logger, string read, CatalogService? before, CatalogService now)
    {
        foreach (var skipped in now.LeftOut)
        {
            if (before is null || !before.LeftOut.Contains(skipped))
            {
                CatalogLog.InstanceLeftOut(logger, read, skipped.Node, skipped.ServiceId, skipped.Field, skipped.Value);
            }
        }
    }

    private void Publish(CatalogSnapshot next, CatalogDiff diff)
    {
        Volatile.Write(ref _current, next);
        Action<CatalogSnapshot, CatalogDiff>[] subscribers;
        lock (_subscribers)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber(next, diff);
        }
    }

    private CatalogDiff Diff(
        ImmutableSortedDictionary<string, CatalogService> before,
        IReadOnlyDictionary<string, CatalogService> after)
    {
        var changes = ImmutableArray.CreateBuilder<ServiceChange>();
        foreach (var (name, old) in before)
        {
            if (!after.TryGetValue(name, out var now))
            {
                changes.Add(new ServiceChange(name, ServiceChangeKind.Removed, [], old.Instances, []));
                CatalogLog.ServiceRemoved(_logger, name);
            }
            else if (!ReferenceEquals(old, now) && !old.SameInstances(now))
            {
                var (added, removed, changed) = CatalogDiff.Instances(old.Instances, now.Instances);
                changes.Add(new ServiceChange(name, ServiceChangeKind.Changed, added, removed, changed));
                CatalogLog.ServiceChanged(_logger, name, added.Length, removed.Length, changed.Length, now.Instances.Length);
            }
        }

        foreach (var (name, now) in after)
        {
            if (!before.ContainsKey(name))
            {
                changes.Add(new ServiceChange(name, ServiceChangeKind.Added, now.Instances, [], []));
                CatalogLog.ServiceAdded(_logger, name, now.Instances.Length);
            }
        }

        return new CatalogDiff(changes.ToImmutable());
    }
}

/// <summary>A removal held back as suspect: what was served when it started, and what Consul's answers would remove of it now.</summary>
public sealed record RemovalHold(
    DateTimeOffset Since,
    ImmutableSortedDictionary<string, CatalogService> Baseline,
    ImmutableSortedSet<string> Services,
    int Instances);
