using Polly;
using Polly.Retry;

namespace Bridge.Core.Consul;

/// <summary>
/// Watches Consul with blocking queries: one on <c>/v1/catalog/services</c> for the service list and one on
/// <c>/v1/health/service/:name</c> per watched service. Every change is written to a channel as a
/// <see cref="ConsulEvent"/>; failures are retried with jittered exponential backoff and never emit anything,
/// so whatever consumes the channel keeps its last good state.
/// </summary>
internal sealed partial class CatalogWatcher
{
    private readonly ConsulClient _client;
    private readonly ConsulOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly QuerySlots _slots;
    private readonly Dictionary<string, (CancellationTokenSource Cts, Task Loop)> _serviceWatches = new(StringComparer.Ordinal);
    private int _failingWatches;
    private readonly object _availabilityGate = new();
    private readonly SemaphoreSlim _serviceSetGate = new(1, 1);
    private ConsulOptions _filters;
    private QueryResult<Dictionary<string, string[]?>>? _lastServices;

    /// <summary>The service set last written to the catalog, and the part of it kept only because an ACL-filtered answer left it out.</summary>
    private ImmutableSortedSet<string> _emitted = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private ImmutableSortedSet<string> _aclHeld = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private ChannelWriter<ConsulEvent>? _events;
    private CancellationToken _running;

    /// <param name="slots">Queries allowed in flight (<see cref="ConnectionBudget.Slots"/>); by default, what Consul's default limits allow.</param>
    public CatalogWatcher(ConsulClient client, ConsulOptions options, ILogger<CatalogWatcher> logger, TimeProvider? time = null, QuerySlots? slots = null)
    {
        _client = client;
        _options = options;
        _filters = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _slots = slots ?? new QuerySlots(options.UsesTls
            ? options.MaxConcurrentQueriesHttp2
            : ConnectionBudget.PerSource(ConnectionBudget.DefaultAgentLimit, options.MaxConcurrentQueries, limitKnown: false));
    }

    /// <summary>Services currently watched, for diagnostics.</summary>
    public int WatchedServices
    {
        get
        {
            lock (_serviceWatches)
            {
                return _serviceWatches.Count;
            }
        }
    }

    /// <summary>
    /// Applies new include/exclude filters at once: the last service list Consul sent is filtered again, watches
    /// start or stop accordingly, and the catalog follows. Other Consul settings need a restart.
    /// </summary>
    public async Task UpdateFiltersAsync(ConsulOptions options)
    {
        Volatile.Write(ref _filters, options);
        if (Volatile.Read(ref _lastServices) is { } last && _events is { } events)
        {
            await OnServicesAsync(last, events, _running).ConfigureAwait(false);
        }
    }

    public async Task RunAsync(ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        _events = events;
        _running = ct;
        using var routingStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var routing = new List<Task> { ReadLocalDatacenterAsync(events, routingStop.Token) };
        routing.AddRange(ConfigEntries.ConfigEntryKinds.All.Select(kind => WatchConfigEntriesAsync(kind, events, routingStop.Token)));
        lock (_targetWatches)
        {
            WatchTargets(_wantedTargets);
        }

        try
        {
            await WatchAsync(
                ConsulClient.ServicesEndpoint,
                _client.GetServicesAsync,
                result => OnServicesAsync(result, events, ct),
                () => Volatile.Read(ref _aclHeld).Count > 0,
                events,
                isServiceWatch: false,
                ct).ConfigureAwait(false);
        }
        finally
        {
            // However the service list's watch ended, the routing watches end with it.
            await routingStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(routing).ConfigureAwait(false);
            List<Task> targets;
            lock (_targetWatches)
            {
                foreach (var (cts, _) in _targetWatches.Values)
                {
                    Stop(cts);
                }

                targets = [.. _targetWatches.Values.Select(w => w.Loop)];
                _targetWatches.Clear();
            }

            await Task.WhenAll(targets).ConfigureAwait(false);
            List<Task> loops;
            lock (_serviceWatches)
            {
                foreach (var (cts, _) in _serviceWatches.Values)
                {
                    cts.Cancel();
                }

                loops = _serviceWatches.Values.Select(w => w.Loop).ToList();
                _serviceWatches.Clear();
            }

            await Task.WhenAll(loops).ConfigureAwait(false);
        }
    }

    private async ValueTask OnServicesAsync(QueryResult<Dictionary<string, string[]?>> result, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        await _serviceSetGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _lastServices, result);
            var filters = Volatile.Read(ref _filters);
            var wanted = ServiceFilter.Apply(result.Value, filters);

            // An ACL-filtered list is never a deregistration: a service it leaves out that the filters still allow
            // stays, watched, until an answer that is not filtered (or its own unfiltered empty answer) says it is gone.
            var held = result.FilteredByAcls
                ? _emitted.Except(wanted).Where(n => ServiceFilter.IsNameWatched(n, filters)).ToImmutableSortedSet(StringComparer.Ordinal)
                : ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
            await EmitServiceSetAsync(wanted.Union(held), held, result.Index, result.ReceivedAt, events, ct).ConfigureAwait(false);
        }
        finally
        {
            _serviceSetGate.Release();
        }
    }

    /// <summary>Writes the service set to the catalog and starts or stops watches to match; called under the set gate.</summary>
    private async ValueTask EmitServiceSetAsync(
        ImmutableSortedSet<string> services, ImmutableSortedSet<string> held, ulong index, long receivedAt, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        var wasHeld = _aclHeld.Count;
        _aclHeld = held;
        _emitted = services;
        if (held.Count != wasHeld)
        {
            if (held.Count > 0)
            {
                ConsulLog.AclFilteredServicesHeld(_logger, held.Count, string.Join(", ", held.Take(10)));
            }
            else
            {
                ConsulLog.AclFilteredReleased(_logger, ConsulClient.ServicesEndpoint);
            }

            await events.WriteAsync(new AclHoldChanged(null, held.Count), ct).ConfigureAwait(false);
        }

        await events.WriteAsync(new ServiceSetObserved(services, index) { ReceivedAt = receivedAt }, ct).ConfigureAwait(false);
        UpdateWatches(services, events, ct);
    }

    /// <summary>A service kept only because a filtered list left it out answered, unfiltered, that it has no instances: it is gone.</summary>
    private async ValueTask ReleaseHeldServiceAsync(string service, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        await _serviceSetGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_aclHeld.Contains(service))
            {
                await EmitServiceSetAsync(_emitted.Remove(service), _aclHeld.Remove(service), _lastServices?.Index ?? 1, 0, events, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _serviceSetGate.Release();
        }
    }

    private void UpdateWatches(ImmutableSortedSet<string> wanted, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        lock (_serviceWatches)
        {
            foreach (var name in _serviceWatches.Keys.Where(n => !wanted.Contains(n)).ToList())
            {
                _serviceWatches[name].Cts.Cancel();
                _serviceWatches.Remove(name);
                ConsulLog.WatchStopped(_logger, name);
            }

            foreach (var name in wanted.Where(n => !_serviceWatches.ContainsKey(n)))
            {
                var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var loop = WatchServiceAsync(name, events, cts.Token);
                _serviceWatches[name] = (cts, loop);
                ConsulLog.WatchStarted(_logger, name);
            }
        }

        _slots.ReportDemand(Watches);
    }

    private async Task WatchServiceAsync(string service, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        await Task.Yield();
        using var scope = _logger.BeginScope(new KeyValuePair<string, object?>[] { new("Service", service) });
        IReadOnlyList<HealthServiceEntry>? last = null;
        var held = 0;
        var heldUnreadable = 0;
        try
        {
            await WatchAsync(
                $"{ConsulClient.HealthServiceEndpoint}/{service}",
                (query, token) => _client.GetHealthServiceAsync(service, query, token),
                async result =>
                {
                    var entries = (IReadOnlyList<HealthServiceEntry>)result.Value;
                    var keep = result.FilteredByAcls && last is not null ? Missing(last, result.Value) : [];
                    if (keep.Count > 0)
                    {
                        // ACLs hid instances that were being served: they stay until an unfiltered answer.
                        entries = [.. result.Value, .. keep];
                    }

                    // An entry Consul lists but that cannot be read is not a deregistration either: an instance served
                    // before keeps its last known state (all of them, when an entry cannot even be told apart).
                    var unreadable = result.Skipped.Count > 0 && last is not null ? Unreadable(last, entries, result.Skipped) : [];
                    if (unreadable.Count > 0)
                    {
                        entries = [.. entries, .. unreadable];
                    }

                    if (unreadable.Count != heldUnreadable)
                    {
                        heldUnreadable = unreadable.Count;
                        await events.WriteAsync(new UnreadableHoldChanged(service, heldUnreadable), ct).ConfigureAwait(false);
                    }

                    if (keep.Count != held)
                    {
                        if (keep.Count > 0 && held == 0)
                        {
                            ConsulLog.AclFilteredEmpty(_logger, service, keep.Count);
                        }
                        else if (keep.Count == 0)
                        {
                            ConsulLog.AclFilteredReleased(_logger, service);
                        }

                        held = keep.Count;
                        await events.WriteAsync(new AclHoldChanged(service, held), ct).ConfigureAwait(false);
                    }

                    last = entries;
                    await events.WriteAsync(new ServiceEntriesObserved(service, result.Index, entries) { ReceivedAt = result.ReceivedAt, Skipped = result.Skipped }, ct).ConfigureAwait(false);
                    if (result.Value.Length == 0 && !result.FilteredByAcls && Volatile.Read(ref _aclHeld).Contains(service))
                    {
                        await ReleaseHeldServiceAsync(service, events, ct).ConfigureAwait(false);
                    }
                },
                () => held > 0,
                events,
                isServiceWatch: true,
                ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            // A watch that ends (its service left, or shutdown) holds nothing any more.
            if (held > 0)
            {
                events.TryWrite(new AclHoldChanged(service, 0));
            }

            if (heldUnreadable > 0)
            {
                events.TryWrite(new UnreadableHoldChanged(service, 0));
            }
        }
    }

    /// <summary>Entries of <paramref name="before"/> missing from <paramref name="now"/> that an unreadable entry may stand for.</summary>
    private static List<HealthServiceEntry> Unreadable(IReadOnlyList<HealthServiceEntry> before, IReadOnlyList<HealthServiceEntry> now, IReadOnlyList<SkippedInstance> skipped)
    {
        var anonymous = skipped.Any(s => s.Node.Length == 0 || s.ServiceId.Length == 0);
        var named = skipped.Select(s => (s.Node, s.ServiceId)).ToHashSet();
        var present = new HashSet<(string?, string?)>(now.Select(e => (e?.Node?.Node, e?.Service?.ID)));
        return [.. before.Where(e => e?.Node?.Node is { } node && e.Service?.ID is { } id && !present.Contains((node, id)) && (anonymous || named.Contains((node, id))))];
    }

    /// <summary>Entries of <paramref name="before"/> whose node and service ID are not in <paramref name="now"/>.</summary>
    private static List<HealthServiceEntry> Missing(IReadOnlyList<HealthServiceEntry> before, HealthServiceEntry[] now)
    {
        var present = new HashSet<(string?, string?)>(now.Select(e => (e?.Node?.Node, e?.Service?.ID)));
        return [.. before.Where(e => e is not null && !present.Contains((e.Node?.Node, e.Service?.ID)))];
    }

    /// <summary>Every blocking watch: the service list, each service, each config entry kind, each routing target read.</summary>
    private int Watches
    {
        get
        {
            int targets;
            lock (_targetWatches)
            {
                targets = _targetWatches.Count;
            }

            return WatchedServices + 1 + ConfigEntries.ConfigEntryKinds.All.Count + targets;
        }
    }

    /// <summary>
    /// Each blocking query holds a slot (a connection, over HTTP/1.1) for up to its wait. With more watches than
    /// slots, waits shrink in proportion so every watch gets a turn: freshness then degrades gracefully to about
    /// (watches / slots) x wait instead of some services never being read. <see cref="ConnectionBudget"/> sizes the
    /// slots so that this happens only beyond the agent's allowance.
    /// </summary>
    internal TimeSpan EffectiveWait() => _slots.SharedWait(_options.Wait, Watches);

    /// <param name="holding">Whether the watch holds back part of an ACL-filtered answer: it then re-reads without
    /// blocking every <see cref="ConsulOptions.AclRetryWait"/>, because a token that works again does not move Consul's index.</param>
    private async Task WatchAsync<T>(
        string endpoint,
        Func<QueryOptions, CancellationToken, Task<QueryResult<T>>> fetch,
        Func<QueryResult<T>, ValueTask> onChange,
        Func<bool> holding,
        ChannelWriter<ConsulEvent> events,
        bool isServiceWatch,
        CancellationToken ct,
        object? routingRead = null)
        where T : class
    {
        var tracker = new IndexTracker();
        var pacer = new QueryPacer(_options.QueryBurst, _options.MinQueryInterval, _time);
        var failures = 0;
        var indexless = false;
        string? lastReason = null;

        var retry = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ConsulException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.RetryMaxDelay,
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Exception switch
                {
                    // Honoured, but never longer than our own longest backoff: a proxy answering "an hour" must not
                    // stop a watch for an hour.
                    ConsulException { RetryAfter: TimeSpan after } when after > TimeSpan.Zero => after < _options.RetryMaxDelay ? after : _options.RetryMaxDelay,
                    // Not transient: a wrong datacenter or token will not fix itself in a second.
                    ConsulException { Kind: ConsulErrorKind.Configuration or ConsulErrorKind.Forbidden } => _options.RetryMaxDelay,
                    _ => null,
                }),
                OnRetry = args =>
                {
                    var error = (ConsulException)args.Outcome.Exception!;
                    tracker.Reset();
                    failures++;
                    if (failures == 1)
                    {
                        // A routing read failing (a config entry kind the token may not read, a datacenter out of
                        // reach) degrades routing, not the catalog: Consul itself still answers.
                        if (routingRead is null)
                        {
                            WatchFailing(events, error.Message);
                            if (!isServiceWatch)
                            {
                                events.TryWrite(new ConsulReachabilityChanged(false));
                            }
                        }
                        else
                        {
                            events.TryWrite(new RoutingReadChanged(routingRead, error.Message));
                        }
                    }

                    var reason = $"{error.Kind}:{error.Status}";
                    if (reason != lastReason)
                    {
                        lastReason = reason;
                        if (!isServiceWatch || _logger.IsEnabled(LogLevel.Debug) || failures == 1 && _failingWatches == 1)
                        {
                            ConsulLog.QueryFailed(_logger, endpoint, error.Kind, error.Reason, (long)args.RetryDelay.TotalMilliseconds);
                        }
                    }

                    return default;
                },
            })
            .Build();

        try
        {
            while (!ct.IsCancellationRequested)
            {
                await pacer.WaitAsync(ct).ConfigureAwait(false);

                // A token that works again does not move Consul's index, and a query blocked on it answers at its
                // deadline with what it computed before: while holding, re-read without blocking every AclRetryWait.
                var held = holding();
                if (held)
                {
                    await Task.Delay(_options.AclRetryWait, _time, ct).ConfigureAwait(false);
                }

                var result = await retry.ExecuteAsync(
                    async token =>
                    {
                        await _slots.WaitAsync(token).ConfigureAwait(false);
                        try
                        {
                            // Holding an ACL-filtered answer: read afresh without blocking (see the pause before it).
                            return await fetch(new QueryOptions(held ? 0 : tracker.NextIndex, EffectiveWait()), token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not ConsulException and not OperationCanceledException)
                        {
                            // Whatever else a query throws is a failed query too: retried, never the end of the watch.
                            throw new ConsulException(endpoint, ConsulErrorKind.BadResponse, $"{e.GetType().Name}: {e.Message}", inner: e);
                        }
                        finally
                        {
                            _slots.Release();
                        }
                    },
                    ct).ConfigureAwait(false);

                if (failures > 0)
                {
                    ConsulLog.QueryRecovered(_logger, endpoint, failures);
                    failures = 0;
                    lastReason = null;
                    Recovered(events, routingRead);
                    if (!isServiceWatch && routingRead is null)
                    {
                        events.TryWrite(new ConsulReachabilityChanged(true));
                    }
                }

                if (tracker.Observe(result.Index, result.ContentHash))
                {
                    await onChange(result).ConfigureAwait(false);
                }

                if (!result.HasIndex)
                {
                    // Without X-Consul-Index the next query cannot block and would come straight back: poll slowly.
                    if (!indexless)
                    {
                        indexless = true;
                        ConsulLog.IndexMissing(_logger, endpoint, (long)_options.IndexlessPollInterval.TotalMilliseconds);
                    }

                    await Task.Delay(_options.IndexlessPollInterval, _time, ct).ConfigureAwait(false);
                }
                else
                {
                    indexless = false;
                }
            }
        }
        finally
        {
            // A watch stopped while failing (its service left the catalog, or shutdown) no longer counts as failing.
            if (failures > 0)
            {
                Recovered(events, routingRead);
            }
        }
    }

    private void Recovered(ChannelWriter<ConsulEvent> events, object? routingRead)
    {
        if (routingRead is null)
        {
            WatchRecovered(events);
        }
        else
        {
            events.TryWrite(new RoutingReadChanged(routingRead, null));
        }
    }

    // The count and the event it implies change together, so events can never arrive in the wrong order
    // (a recovery written after a newer failure would report Consul available while a watch still fails).
    private void WatchFailing(ChannelWriter<ConsulEvent> events, string reason)
    {
        lock (_availabilityGate)
        {
            if (++_failingWatches == 1)
            {
                ConsulLog.Unavailable(_logger, reason);
                events.TryWrite(new ConsulAvailabilityChanged(false, reason));
            }
        }
    }

    private void WatchRecovered(ChannelWriter<ConsulEvent> events)
    {
        lock (_availabilityGate)
        {
            if (--_failingWatches == 0)
            {
                ConsulLog.Available(_logger);
                events.TryWrite(new ConsulAvailabilityChanged(true, null));
            }
        }
    }
}
