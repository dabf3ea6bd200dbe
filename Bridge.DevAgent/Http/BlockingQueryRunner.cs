using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Consul's blocking query (agent/blockingquery <c>Query</c>, agent/consul/rpc.go <c>RPCQueryTimeout</c>):
/// without an index, answer at once; otherwise wait until the query's index exceeds the client's, the
/// state is abandoned (index reset), or the wait — capped at the maximum, plus up to wait/16 of jitter —
/// runs out, and answer with the current data either way. Waits are event-driven, never polled.
/// </summary>
internal sealed class BlockingQueryRunner(
    DevCatalog catalog,
    DevAgentOptions options,
    FaultKnobs faults,
    RequestMetrics metrics,
    TimeProvider time,
    CancellationToken stopping)
{
    /// <param name="query">Computes the result and the index it reports from one catalog state.</param>
    /// <param name="aborted">The client's disconnect: ends the wait without an answer.</param>
    public async Task<(ulong Index, T Value)> RunAsync<T>(
        QueryOptions request,
        IReadOnlyList<string> scopes,
        Func<CatalogState, (ulong Index, T Value)> query,
        CancellationToken aborted)
    {
        if (request.MinIndex == 0)
        {
            return query(catalog.State);
        }

        var wait = request.Wait <= TimeSpan.Zero ? options.DefaultWait
            : request.Wait > options.MaxWait ? options.MaxWait
            : request.Wait;
        metrics.BlockingStarted();
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
            return faults.LateAnswer is { } late
                ? await AnswerLateAsync(wait, late.Epsilon, late.IncludeJitter, query, aborted, linked.Token)
                : await WaitForChangeAsync(request.MinIndex, wait + Jitter(wait), scopes, query, aborted, linked.Token);
        }
        finally
        {
            metrics.BlockingEnded();
        }
    }

    private static TimeSpan Jitter(TimeSpan wait)
    {
        var bound = wait.Ticks / 16;
        return bound > 0 ? TimeSpan.FromTicks(Random.Shared.NextInt64(bound)) : TimeSpan.Zero;
    }

    private async Task<(ulong Index, T Value)> WaitForChangeAsync<T>(
        ulong minIndex,
        TimeSpan timeout,
        IReadOnlyList<string> scopes,
        Func<CatalogState, (ulong Index, T Value)> query,
        CancellationToken aborted,
        CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            // Signals first, state second: a write in between is either seen or signalled.
            var abandoned = catalog.Signals.WhenAbandoned;
            var changed = scopes.Count == 1
                ? catalog.Signals.WhenChanged(scopes[0])
                : Task.WhenAny(scopes.Select(catalog.Signals.WhenChanged));
            var result = query(catalog.State);
            if (result.Index > minIndex)
            {
                return result;
            }

            var remaining = timeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return result;
            }

            try
            {
                await Task.WhenAny(changed, abandoned).WaitAsync(remaining, time, ct);
            }
            catch (TimeoutException)
            {
                return query(catalog.State);
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                // The agent is stopping: answer with what there is, as Consul does on shutdown.
                return query(catalog.State);
            }

            if (abandoned.IsCompleted)
            {
                return query(catalog.State);
            }
        }
    }

    private async Task<(ulong Index, T Value)> AnswerLateAsync<T>(
        TimeSpan wait,
        TimeSpan epsilon,
        bool includeJitter,
        Func<CatalogState, (ulong Index, T Value)> query,
        CancellationToken aborted,
        CancellationToken ct)
    {
        var deadline = includeJitter ? wait + TimeSpan.FromTicks(wait.Ticks / 16) : wait;
        var delay = deadline - epsilon;
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, ct);
            }
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return query(catalog.State);
        }

        faults.CountLateAnswer();
        return query(catalog.State);
    }
}
