using System.Collections.Immutable;
using System.Threading.Channels;
using Bridge.Core.Consul;
using Microsoft.Extensions.Logging;

namespace Bridge.Core.Catalog;

/// <summary>
/// Owns the current <see cref="CatalogSnapshot"/>. Reads what the watcher learned, applies it in batches
/// (whatever arrived while the last batch was applied is applied together), and publishes a new snapshot
/// with its <see cref="CatalogDiff"/> only when some service's instances really changed.
/// </summary>
internal sealed class CatalogStore
{
    private readonly ILogger _logger;
    private readonly List<Action<CatalogSnapshot, CatalogDiff>> _subscribers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableSortedSet<string>? _serviceSet;
    private readonly HashSet<string> _readFromConsul = new(StringComparer.Ordinal);
    private CatalogSnapshot _current = CatalogSnapshot.Empty;

    private CatalogOptions _options;
    private readonly TimeProvider _time;

    public CatalogStore(ILogger<CatalogStore> logger, CatalogOptions? options = null, TimeProvider? time = null)
    {
        _logger = logger;
        _options = options ?? new CatalogOptions();
        _time = time ?? TimeProvider.System;
    }

    public CatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>New coalescing settings take effect from the next burst.</summary>
    public void UpdateOptions(CatalogOptions options) => Volatile.Write(ref _options, options);

    /// <summary>Completes once every watched service has been read from Consul at least once.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Whether Consul answered the last query of every watch.</summary>
    public bool ConsulAvailable { get; private set; } = true;

    /// <summary>
    /// Since when what is served may be out of date: when the state file was saved, or when Consul stopped
    /// answering; null while the catalog is current.
    /// </summary>
    public DateTimeOffset? StaleSince { get; private set; }

    /// <summary>Called on the store's loop after each published snapshot, in order.</summary>
    public void Subscribe(Action<CatalogSnapshot, CatalogDiff> subscriber)
    {
        lock (_subscribers)
        {
            _subscribers.Add(subscriber);
        }
    }

    /// <summary>
    /// Applies events as they come, coalescing bursts: the first change after a quiet spell is applied at once;
    /// while changes keep arriving within <see cref="CatalogOptions.QuietPeriod"/> they are merged (the latest
    /// answer for each service wins) and applied when the catalog goes quiet or <see cref="CatalogOptions.MaxDelay"/>
    /// after the first of them, whichever comes first.
    /// </summary>
    public async Task RunAsync(ChannelReader<ConsulEvent> events, CancellationToken ct)
    {
        var batch = new List<ConsulEvent>();
        var lastApplied = long.MinValue;
        while (await events.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            batch.Clear();
            Drain(events, batch);
            var burstStart = _time.GetTimestamp();
            if (lastApplied != long.MinValue && _time.GetElapsedTime(lastApplied, burstStart) < _options.QuietPeriod)
            {
                await CoalesceAsync(events, batch, burstStart, ct).ConfigureAwait(false);
            }

            Apply(batch);
            lastApplied = _time.GetTimestamp();
        }
    }

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
    public void LoadPersisted(ImmutableSortedDictionary<string, CatalogService> services, DateTimeOffset savedAt)
    {
        var before = _current;
        StaleSince = savedAt;
        var next = new CatalogSnapshot(services, before.Generation + 1, Synced: true, CatalogSource.Persisted);
        CatalogLog.PersistedLoaded(_logger, services.Count, next.InstanceCount, savedAt);
        Publish(next, Diff(before.Services, services));
    }

    /// <summary>Applies a batch of events and publishes the result if anything changed.</summary>
    internal void Apply(IReadOnlyList<ConsulEvent> batch)
    {
        var before = _current;
        var services = before.Services.ToBuilder();
        foreach (var e in batch)
        {
            switch (e)
            {
                case ServiceSetObserved set:
                    _serviceSet = set.Services;
                    foreach (var name in services.Keys.Where(n => !set.Services.Contains(n)).ToList())
                    {
                        services.Remove(name);
                    }

                    _readFromConsul.RemoveWhere(n => !set.Services.Contains(n));

                    break;

                case ServiceEntriesObserved read when _serviceSet?.Contains(read.Service) == true:
                    _readFromConsul.Add(read.Service);
                    var instances = InstanceFactory.Build(read.Service, read.Entries, (s, key) => CatalogLog.DuplicateInstance(_logger, s, key.ToString()));
                    services[read.Service] = new CatalogService(read.Service, read.Index, instances);
                    break;

                case ConsulAvailabilityChanged availability:
                    ConsulAvailable = availability.Available;
                    if (!availability.Available)
                    {
                        StaleSince ??= _time.GetUtcNow();
                    }

                    break;
            }
        }

        // Synced with Consul once every listed service has been read in this process: until then a service
        // keeps what the state file said, never an empty list.
        var consulSynced = _serviceSet is not null && _serviceSet.All(_readFromConsul.Contains);
        var source = consulSynced || before.Source != CatalogSource.Persisted ? CatalogSource.Consul : CatalogSource.Persisted;
        var diff = Diff(before.Services, services);
        var nowSynced = before.Synced || consulSynced;
        var publish = !diff.IsEmpty || nowSynced != before.Synced || source != before.Source;
        if (ConsulAvailable && source == CatalogSource.Consul)
        {
            StaleSince = null;
        }

        var changedAt = batch.Where(e => e.ReceivedAt != 0).Select(e => e.ReceivedAt).DefaultIfEmpty(0).Min();
        var next = new CatalogSnapshot(services.ToImmutable(), before.Generation + (publish ? 1 : 0), nowSynced, source) { ChangedAt = changedAt };
        if (!publish)
        {
            // Keep the new Consul indexes for diagnostics, without a new generation or a push.
            Volatile.Write(ref _current, next);
            return;
        }

        Publish(next, diff);
        if (consulSynced && !_synced.Task.IsCompleted)
        {
            CatalogLog.Synced(_logger, next.Services.Count, next.InstanceCount);
            _synced.TrySetResult();
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
            else if (!old.SameInstances(now))
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
