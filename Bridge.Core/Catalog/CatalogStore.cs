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
    private readonly HashSet<string> _awaitingFirstRead = new(StringComparer.Ordinal);
    private CatalogSnapshot _current = CatalogSnapshot.Empty;

    public CatalogStore(ILogger<CatalogStore> logger) => _logger = logger;

    public CatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Completes once every watched service has been read from Consul at least once.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Whether Consul answered the last query of every watch.</summary>
    public bool ConsulAvailable { get; private set; } = true;

    /// <summary>Called on the store's loop after each published snapshot, in order.</summary>
    public void Subscribe(Action<CatalogSnapshot, CatalogDiff> subscriber)
    {
        lock (_subscribers)
        {
            _subscribers.Add(subscriber);
        }
    }

    public async Task RunAsync(ChannelReader<ConsulEvent> events, CancellationToken ct)
    {
        var batch = new List<ConsulEvent>();
        while (await events.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            batch.Clear();
            while (events.TryRead(out var e))
            {
                batch.Add(e);
            }

            Apply(batch);
        }
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

                    _awaitingFirstRead.RemoveWhere(n => !set.Services.Contains(n));
                    foreach (var name in set.Services.Where(n => !services.ContainsKey(n)))
                    {
                        _awaitingFirstRead.Add(name);
                    }

                    break;

                case ServiceEntriesObserved read when _serviceSet?.Contains(read.Service) == true:
                    _awaitingFirstRead.Remove(read.Service);
                    var instances = InstanceFactory.Build(read.Service, read.Entries, (s, key) => CatalogLog.DuplicateInstance(_logger, s, key.ToString()));
                    services[read.Service] = new CatalogService(read.Service, read.Index, instances);
                    break;

                case ConsulAvailabilityChanged availability:
                    ConsulAvailable = availability.Available;
                    break;
            }
        }

        var synced = _serviceSet is not null && _awaitingFirstRead.Count == 0;
        var diff = Diff(before.Services, services, log: true);
        var next = new CatalogSnapshot(services.ToImmutable(), before.Generation + (diff.IsEmpty ? 0 : 1), before.Synced || synced, CatalogSource.Consul);
        if (diff.IsEmpty && next.Synced == before.Synced)
        {
            // Keep the new Consul indexes for diagnostics without a new generation or a push.
            Volatile.Write(ref _current, next with { Generation = before.Generation, Synced = before.Synced, Source = before.Source == CatalogSource.None ? before.Source : CatalogSource.Consul });
            return;
        }

        Publish(next, diff);
        if (next.Synced && !before.Synced)
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
        IReadOnlyDictionary<string, CatalogService> after,
        bool log)
    {
        var changes = ImmutableArray.CreateBuilder<ServiceChange>();
        foreach (var (name, old) in before)
        {
            if (!after.TryGetValue(name, out var now))
            {
                changes.Add(new ServiceChange(name, ServiceChangeKind.Removed, [], old.Instances, []));
                if (log)
                {
                    CatalogLog.ServiceRemoved(_logger, name);
                }
            }
            else if (!old.SameInstances(now))
            {
                var (added, removed, changed) = CatalogDiff.Instances(old.Instances, now.Instances);
                changes.Add(new ServiceChange(name, ServiceChangeKind.Changed, added, removed, changed));
                if (log)
                {
                    CatalogLog.ServiceChanged(_logger, name, added.Length, removed.Length, changed.Length, now.Instances.Length);
                }
            }
        }

        foreach (var (name, now) in after)
        {
            if (!before.ContainsKey(name))
            {
                changes.Add(new ServiceChange(name, ServiceChangeKind.Added, now.Instances, [], []));
                if (log)
                {
                    CatalogLog.ServiceAdded(_logger, name, now.Instances.Length);
                }
            }
        }

        return new CatalogDiff(changes.ToImmutable());
    }
}
