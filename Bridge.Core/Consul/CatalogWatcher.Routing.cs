namespace Bridge.Core.Consul;

/// <summary>The watches routing needs: config entries of each kind, the local datacenter, and the target reads.</summary>
internal sealed partial class CatalogWatcher
{
    private readonly Dictionary<HealthQuery, (CancellationTokenSource Cts, Task Loop)> _targetWatches = [];
    private IReadOnlySet<HealthQuery> _wantedTargets = new HashSet<HealthQuery>();

    /// <summary>
    /// The health reads routing needs beyond each service's own (a subset's filter, another datacenter): watches
    /// start for new ones and stop for those no longer needed. Called whenever the compiled routing changes; what is
    /// asked before the watcher runs (routing restored from the state file) starts with it.
    /// </summary>
    public void WatchTargets(IReadOnlySet<HealthQuery> queries)
    {
        var changed = false;
        lock (_targetWatches)
        {
            _wantedTargets = queries;
            if (_events is not { } events)
            {
                return;
            }

            foreach (var query in _targetWatches.Keys.Where(q => !queries.Contains(q)).ToList())
            {
                Stop(_targetWatches[query].Cts);
                _targetWatches.Remove(query);
                changed = true;
            }

            foreach (var query in queries.Where(q => !_targetWatches.ContainsKey(q)))
            {
                var cts = CancellationTokenSource.CreateLinkedTokenSource(_running);
                var loop = WatchTargetAsync(query, events, cts.Token);
                _ = loop.ContinueWith(_ => cts.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                _targetWatches[query] = (cts, loop);
                changed = true;
            }
        }

        if (changed)
        {
            _slots.ReportDemand(Watches);
        }
    }

    /// <summary>Cancels a target watch; one whose loop already ended (and released its source) is left as it is.</summary>
    private static void Stop(CancellationTokenSource watch)
    {
        try
        {
            watch.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private Task WatchTargetAsync(HealthQuery query, ChannelWriter<ConsulEvent> events, CancellationToken ct) =>
        WatchRoutingAsync(
            $"{ConsulClient.HealthServiceEndpoint}/{query.Service}",
            (options, token) => _client.GetHealthServiceAsync(
                query.Service,
                options with { Datacenter = query.Datacenter.Length > 0 ? query.Datacenter : null, Filter = query.Filter.Length > 0 ? query.Filter : null },
                token),
            result => new TargetEntriesObserved(query, result.Index, result.Value) { ReceivedAt = result.ReceivedAt, Skipped = result.Skipped },
            query,
            events,
            ct);

    /// <summary>One blocking watch per config entry kind: the routing the catalog compiles follows them.</summary>
    private Task WatchConfigEntriesAsync(ConfigEntries.ConfigEntryKind kind, ChannelWriter<ConsulEvent> events, CancellationToken ct) =>
        WatchRoutingAsync(
            $"{ConsulClient.ConfigEndpoint}/{ConfigEntries.ConfigEntryKinds.ApiName(kind)}",
            (options, token) => ReadConfigEntriesAsync(kind, options, token),
            result => new ConfigEntriesObserved(result.Value, result.Index) { ReceivedAt = result.ReceivedAt },
            kind,
            events,
            ct);

    /// <summary>A routing read's watch: its answers become <paramref name="observed"/> events, its failures routing problems.</summary>
    private async Task WatchRoutingAsync<T>(
        string endpoint,
        Func<QueryOptions, CancellationToken, Task<QueryResult<T>>> fetch,
        Func<QueryResult<T>, ConsulEvent> observed,
        object read,
        ChannelWriter<ConsulEvent> events,
        CancellationToken ct)
        where T : class
    {
        await Task.Yield();
        try
        {
            await WatchAsync(endpoint, fetch, result => events.WriteAsync(observed(result), ct), () => false, events, isServiceWatch: true, ct, routingRead: read)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A Consul without the config entry API (before 1.5, or a proxy that does not pass it) answers 404: that is no
    /// entries at all, not a failure; it is asked again at the pace of a blocking wait.
    /// </summary>
    private async Task<QueryResult<ConfigEntries.ConfigEntryList>> ReadConfigEntriesAsync(ConfigEntries.ConfigEntryKind kind, QueryOptions options, CancellationToken ct)
    {
        try
        {
            return await _client.GetConfigEntriesAsync(kind, options, ct).ConfigureAwait(false);
        }
        catch (ConsulException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            if (options.Index > 0)
            {
                await Task.Delay(_options.Wait, _time, ct).ConfigureAwait(false);
            }

            return new QueryResult<ConfigEntries.ConfigEntryList>(new ConfigEntries.ConfigEntryList(kind, [], []), 1, true, TimeSpan.Zero, false, 0);
        }
    }

    /// <summary>
    /// The agent's datacenter as it describes itself (<c>/v1/agent/self</c>, which needs <c>agent:read</c>); without
    /// that permission, the first datacenter Consul lists, which it sorts by estimated round-trip time from the agent.
    /// </summary>
    private async Task<string?> LocalDatacenterAsync(CancellationToken ct)
    {
        try
        {
            if ((await _client.GetAgentSelfAsync(ct).ConfigureAwait(false)).Config?.Datacenter is { Length: > 0 } own)
            {
                return own;
            }
        }
        catch (ConsulException)
        {
            // No agent:read, or a proxy that does not pass the agent's own endpoint: the catalog's list answers.
        }

        var listed = await _client.GetDatacentersAsync(ct).ConfigureAwait(false);
        return listed.Value is [{ Length: > 0 } first, ..] ? first : null;
    }

    /// <summary>The configured datacenter, or the agent's own.</summary>
    private async Task ReadLocalDatacenterAsync(ChannelWriter<ConsulEvent> events, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(_options.Datacenter))
        {
            await events.WriteAsync(new LocalDatacenterObserved(_options.Datacenter), ct).ConfigureAwait(false);
            return;
        }

        var delay = _options.RetryBaseDelay;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await LocalDatacenterAsync(ct).ConfigureAwait(false) is { Length: > 0 } local)
                {
                    await events.WriteAsync(new LocalDatacenterObserved(local), ct).ConfigureAwait(false);
                    return;
                }
            }
            catch (ConsulException)
            {
                // Consul is away: the service watches report it; this read simply tries again.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }

            delay = delay * 2 < _options.RetryMaxDelay ? delay * 2 : _options.RetryMaxDelay;
        }
    }
}
