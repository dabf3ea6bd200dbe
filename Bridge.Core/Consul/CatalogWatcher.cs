using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Bridge.Core.Consul;

/// <summary>
/// Watches Consul with blocking queries: one on <c>/v1/catalog/services</c> for the service list and one on
/// <c>/v1/health/service/:name</c> per watched service. Every change is written to a channel as a
/// <see cref="ConsulEvent"/>; failures are retried with jittered exponential backoff and never emit anything,
/// so whatever consumes the channel keeps its last good state.
/// </summary>
internal sealed class CatalogWatcher
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
        try
        {
            await WatchAsync(
                ConsulClient.ServicesEndpoint,
                _client.GetServicesAsync,
                result => OnServicesAsync(result, events, ct),
                events,
                isServiceWatch: false,
                ct).ConfigureAwait(false);
        }
        finally
        {
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
            var wanted = ServiceFilter.Apply(result.Value, Volatile.Read(ref _filters));
            await events.WriteAsync(new ServiceSetObserved(wanted, result.Index) { ReceivedAt = result.ReceivedAt }, ct).ConfigureAwait(false);
            UpdateWatches(wanted, events, ct);
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

            _slots.ReportDemand(_serviceWatches.Count + 1);
        }
    }

    private async Task WatchServiceAsync(string service, ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        await Task.Yield();
        using var scope = _logger.BeginScope(new KeyValuePair<string, object?>[] { new("Service", service) });
        var read = false;
        try
        {
            await WatchAsync(
                $"{ConsulClient.HealthServiceEndpoint}/{service}",
                (query, token) => _client.GetHealthServiceAsync(service, query, token),
                async result =>
                {
                    if (result.Value.Length == 0 && result.FilteredByAcls && read)
                    {
                        // An ACL-filtered empty answer is not a deregistration: keep what was read before.
                        ConsulLog.AclFilteredEmpty(_logger, service);
                        return;
                    }

                    read = true;

                    await events.WriteAsync(new ServiceEntriesObserved(service, result.Index, result.Value) { ReceivedAt = result.ReceivedAt }, ct).ConfigureAwait(false);
                },
                events,
                isServiceWatch: true,
                ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Each blocking query holds a slot (a connection, over HTTP/1.1) for up to its wait. With more watches than
    /// slots, waits shrink in proportion so every watch gets a turn: freshness then degrades gracefully to about
    /// (watches / slots) x wait instead of some services never being read. <see cref="ConnectionBudget"/> sizes the
    /// slots so that this happens only beyond the agent's allowance.
    /// </summary>
    internal TimeSpan EffectiveWait() => _slots.SharedWait(_options.Wait, Math.Max(1, WatchedServices + 1));

    private async Task WatchAsync<T>(
        string endpoint,
        Func<QueryOptions, CancellationToken, Task<QueryResult<T>>> fetch,
        Func<QueryResult<T>, ValueTask> onChange,
        ChannelWriter<ConsulEvent> events,
        bool isServiceWatch,
        CancellationToken ct)
        where T : class
    {
        var tracker = new IndexTracker();
        var pacer = new QueryPacer(_options.QueryBurst, _options.MinQueryInterval, _time);
        var failures = 0;
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
                    ConsulException { RetryAfter: TimeSpan after } when after > TimeSpan.Zero => after,
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
                        WatchFailing(events, error.Message);
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
                var result = await retry.ExecuteAsync(
                    async token =>
                    {
                        await _slots.WaitAsync(token).ConfigureAwait(false);
                        try
                        {
                            return await fetch(new QueryOptions(tracker.NextIndex, EffectiveWait()), token).ConfigureAwait(false);
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
                    WatchRecovered(events);
                }

                if (tracker.Observe(result.Index, result.ContentHash))
                {
                    await onChange(result).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // A watch stopped while failing (its service left the catalog, or shutdown) no longer counts as failing.
            if (failures > 0)
            {
                WatchRecovered(events);
            }
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
