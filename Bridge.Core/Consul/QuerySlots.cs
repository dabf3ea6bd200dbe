namespace Bridge.Core.Consul;

/// <summary>
/// The queries the bridge may have in flight to Consul at once; a blocking query holds its slot for up to its wait.
/// The number can change while queries run (once the agent's own connection limit is known): more slots let waiting
/// queries in at once, fewer take effect as running queries finish.
/// </summary>
internal sealed class QuerySlots
{
    /// <summary>Shortest wait of a blocking query when there are more queries than slots.</summary>
    internal static readonly TimeSpan MinSharedWait = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _free;
    private readonly Lock _gate = new();
    private int _capacity;
    private int _withheld;
    private int _demand;

    public QuerySlots(int capacity)
    {
        _capacity = Math.Max(1, capacity);
        _free = new SemaphoreSlim(_capacity);
    }

    /// <summary>Raised with the number of queries wanted whenever it changes (the service list plus one per watched service).</summary>
    public event Action<int>? DemandChanged;

    /// <summary>Queries allowed in flight at once.</summary>
    public int Capacity => Volatile.Read(ref _capacity);

    /// <summary>Queries wanted: the service list plus one per watched service, as last reported.</summary>
    public int Demand => Volatile.Read(ref _demand);

    public Task WaitAsync(CancellationToken ct) => _free.WaitAsync(ct);

    public void Release()
    {
        lock (_gate)
        {
            if (_withheld > 0)
            {
                // The capacity shrank while this query ran: its slot is gone.
                _withheld--;
                return;
            }
        }

        _free.Release();
    }

    /// <summary>Sets the number of slots.</summary>
    public void Resize(int capacity)
    {
        capacity = Math.Max(1, capacity);
        var granted = 0;
        lock (_gate)
        {
            var delta = capacity - _capacity;
            Volatile.Write(ref _capacity, capacity);
            if (delta > 0)
            {
                var repaid = Math.Min(delta, _withheld);
                _withheld -= repaid;
                granted = delta - repaid;
            }
            else
            {
                // Free slots go at once; slots in use are withheld as their queries finish.
                var owed = -delta;
                while (owed > 0 && _free.Wait(0))
                {
                    owed--;
                }

                _withheld += owed;
            }
        }

        if (granted > 0)
        {
            _free.Release(granted);
        }
    }

    /// <summary>Reports how many queries the watcher wants in flight.</summary>
    public void ReportDemand(int queries)
    {
        if (Interlocked.Exchange(ref _demand, queries) != queries)
        {
            DemandChanged?.Invoke(queries);
        }
    }

    /// <summary>
    /// The wait of each blocking query when <paramref name="queries"/> share the slots: the full <paramref name="wait"/>
    /// while every query has a slot; with more queries than slots, waits shrink in proportion (never below
    /// <see cref="MinSharedWait"/>) so that every query gets a turn.
    /// </summary>
    public TimeSpan SharedWait(TimeSpan wait, int queries)
    {
        var slots = Capacity;
        if (queries <= slots)
        {
            return wait;
        }

        var shared = wait * slots / queries;
        return shared < MinSharedWait ? (MinSharedWait < wait ? MinSharedWait : wait) : shared;
    }

    /// <summary>
    /// The longest a change can wait before its service's query is in flight again when <paramref name="queries"/>
    /// share the slots (FIFO turns of at most the shared wait plus Consul's jitter of a sixteenth); zero when every
    /// query has a slot.
    /// </summary>
    public TimeSpan WorstCaseDelay(TimeSpan wait, int queries)
    {
        var slots = Capacity;
        if (queries <= slots)
        {
            return TimeSpan.Zero;
        }

        var turns = (queries - slots + slots - 1) / slots;
        return SharedWait(wait, queries) * 17 / 16 * turns;
    }
}
