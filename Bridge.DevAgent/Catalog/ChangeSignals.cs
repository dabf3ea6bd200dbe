using System.Collections.Concurrent;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// One change signal per index scope (a table, or one service name), so a blocking query wakes only
/// when an index it reports may have moved. A waiter takes the signal before it reads the state: if
/// a write lands in between, either the signal it holds fires or the state it reads already shows it.
/// </summary>
internal sealed class ChangeSignals
{
    public const string NodesScope = "nodes";
    public const string ServicesScope = "services";
    public const string ChecksScope = "checks";

    /// <summary>Fires on every write, whatever it touched: for readers of a lagging view, which any write moves.</summary>
    public const string AnyScope = "*";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pending = new(StringComparer.Ordinal);
    private TaskCompletionSource _abandoned = NewSignal();

    /// <summary>Fires on every config entry write: list queries watch it, as Consul's watch the table index.</summary>
    public const string ConfigEntriesScope = "config-entries";

    public static string ServiceScope(string serviceName) => "service:" + serviceName;

    /// <summary>Fires when one config entry changes: single-entry reads watch it, as Consul's watch the entry's row.</summary>
    public static string ConfigEntryScope(string kind, string name) => $"config:{kind.ToLowerInvariant()}/{name.ToLowerInvariant()}";

    /// <summary>Completes at the next change in <paramref name="scope"/>.</summary>
    public Task WhenChanged(string scope) => _pending.GetOrAdd(scope, static _ => NewSignal()).Task;

    /// <summary>Completes when the whole state is replaced (a snapshot restore), which ends every blocking query.</summary>
    public Task WhenAbandoned => Volatile.Read(ref _abandoned).Task;

    public void Notify(IEnumerable<string> scopes)
    {
        foreach (var scope in scopes.Append(AnyScope))
        {
            if (_pending.TryRemove(scope, out var signal))
            {
                signal.TrySetResult();
            }
        }
    }

    public void Abandon() => Interlocked.Exchange(ref _abandoned, NewSignal()).TrySetResult();

    // Waiters continue on the thread pool, never inline on the writer holding the catalog lock.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
