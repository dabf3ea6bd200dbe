using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Consul's blocking query (agent/blockingquery <c>Query</c>, agent/consul/rpc.go <c>RPCQueryTimeout</c>):
/// without an index, answer at once; otherwise run the query, and while its index is not above the client's,
/// wait for a change and run it again, until the wait — capped at the maximum, plus up to wait/16 of jitter —
/// runs out or the state is abandoned (index reset, wipe). At the deadline the answer is the last run's, as
/// Consul returns what its last run put in the reply: a change that moves no index (an ACL rules change) shows
/// only in a query that runs after it. A run that reports <see cref="QueryResult{T}.NotFound"/> twice, or
/// <see cref="QueryResult{T}.Unchanged"/> after the first, keeps waiting with its index as the new minimum, as
/// Consul's <c>ErrNotFound</c> and <c>ErrNotChanged</c> do. Waits are event-driven, never polled.
/// </summary>
internal sealed class BlockingQueryRunner(
    DevAgentOptions options,
    FaultKnobs faults,
    RequestMetrics metrics,
    TimeProvider time,
    CancellationToken stopping)
{
    /// <param name="catalog">The datacenter queried: its signals wake the query.</param>
    /// <param name="request">The query's parameters.</param>
    /// <param name="scopes">The change signals that may move the index the query reports.</param>
    /// <param name="query">Runs the query on the state it is meant to see; may throw <see cref="DevAgentException"/>.</param>
    /// <param name="aborted">The client's disconnect: ends the wait without an answer.</param>
    public async Task<QueryResult<T>> RunAsync<T>(
        DevCatalog catalog,
        QueryOptions request,
        IReadOnlyList<string> scopes,
        Func<QueryResult<T>> query,
        CancellationToken aborted)
    {
        if (request.MinIndex == 0)
        {
            return query();
        }

        var wait = request.Wait <= TimeSpan.Zero ? options.DefaultWait
            : request.Wait > options.MaxWait ? options.MaxWait
            : request.Wait;
        // A query counts as in flight once it has read the state it waits on: a write after that wakes it.
        var parked = false;
        void Park()
        {
            if (!parked)
            {
                parked = true;
                metrics.BlockingStarted();
            }
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
            return faults.LateAnswer is { } late
                ? await AnswerLateAsync(wait, late.Epsilon, late.IncludeJitter, query, Park, aborted, linked.Token)
                : await WaitForChangeAsync(catalog, request.MinIndex, wait + Jitter(wait), scopes, query, Park, aborted, linked.Token);
        }
        finally
        {
            if (parked)
            {
                metrics.BlockingEnded();
            }
        }
    }

    private static TimeSpan Jitter(TimeSpan wait)
    {
        var bound = wait.Ticks / 16;
        return bound > 0 ? TimeSpan.FromTicks(Random.Shared.NextInt64(bound)) : TimeSpan.Zero;
    }

    private async Task<QueryResult<T>> WaitForChangeAsync<T>(
        DevCatalog catalog,
        ulong minIndex,
        TimeSpan timeout,
        IReadOnlyList<string> scopes,
        Func<QueryResult<T>> query,
        Action park,
        CancellationToken aborted,
        CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var notFound = false;
        var ranOnce = false;
        while (true)
        {
            // Signals first, state second: a write in between is either seen or signalled.
            var abandoned = catalog.Signals.WhenAbandoned;
            var changed = scopes.Count == 1
                ? catalog.Signals.WhenChanged(scopes[0])
                : Task.WhenAny(scopes.Select(catalog.Signals.WhenChanged));
            var result = query();
            if (result.NotFound)
            {
                if (notFound)
                {
                    minIndex = result.Index;
                }

                notFound = true;
            }
            else if (result.Unchanged && ranOnce)
            {
                minIndex = result.Index;
            }

            ranOnce = true;
            if (result.Index > minIndex)
            {
                return result;
            }

            var remaining = timeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return result;
            }

            park();
            try
            {
                await Task.WhenAny(changed, abandoned).WaitAsync(remaining, time, ct);
            }
            catch (TimeoutException)
            {
                return result;
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                // The agent is stopping: answer with what there is, as Consul does on shutdown.
                return result;
            }

            if (abandoned.IsCompleted)
            {
                // The store was replaced: answer from the new one, with its lower index.
                return query();
            }
        }
    }

    private async Task<QueryResult<T>> AnswerLateAsync<T>(
        TimeSpan wait,
        TimeSpan epsilon,
        bool includeJitter,
        Func<QueryResult<T>> query,
        Action park,
        CancellationToken aborted,
        CancellationToken ct)
    {
        park();
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
            return query();
        }

        faults.CountLateAnswer();
        return query();
    }
}
