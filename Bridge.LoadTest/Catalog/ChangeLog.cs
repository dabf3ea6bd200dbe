namespace Bridge.LoadTest.Catalog;

/// <summary>What a change did to one instance.</summary>
internal enum ChangeKind
{
    /// <summary>A passing instance moved to a port no earlier change used.</summary>
    Port,

    /// <summary>A passing instance's check went critical: the instance leaves the assignment.</summary>
    Critical,

    /// <summary>A critical instance's check passes again: it comes back on its port.</summary>
    Passing,

    /// <summary>An instance was put into maintenance (a critical <c>_service_maintenance</c> check): it leaves the assignment.</summary>
    MaintenanceOn,

    /// <summary>An instance's maintenance ended: it comes back on its port.</summary>
    MaintenanceOff,

    /// <summary>An instance was deregistered: it leaves the assignment.</summary>
    Deregistered,

    /// <summary>A deregistered instance was registered again, passing, on its port.</summary>
    Registered,

    /// <summary>A service that did not exist was registered with one instance: a new cluster and assignment.</summary>
    NewService,
}

/// <summary>
/// One catalog write made by churn. <see cref="TargetPort"/> is what a proxy sees for the instance once the change
/// reached it: its port, or <see cref="Absent"/> when it is no longer a healthy endpoint.
/// </summary>
/// <param name="Seq">Order of the change in the run, from 0.</param>
/// <param name="Service">Service index.</param>
/// <param name="Instance">Instance index within the service.</param>
/// <param name="Kind">What changed.</param>
/// <param name="TargetPort">The instance's endpoint port after the change, or <see cref="Absent"/>.</param>
/// <param name="Timestamp"><see cref="System.Diagnostics.Stopwatch"/> timestamp taken just before the write.</param>
internal readonly record struct Change(int Seq, int Service, int Instance, ChangeKind Kind, int TargetPort, long Timestamp)
{
    public const int Absent = -1;
}

/// <summary>
/// Every change of a run, per service, in the order written. One writer (churn) appends; any number of stream
/// read loops read concurrently without locks: a reader that sees a count sees every change below it.
/// </summary>
internal sealed class ChangeLog
{
    private readonly Change[][] _changes;
    private readonly int[] _counts;
    private readonly object _gate = new();
    private readonly List<Change> _bySeq = [];
    private int _total;

    private readonly Func<int, int> _initialPort;

    /// <param name="services">Service numbers 0 to <paramref name="services"/> - 1.</param>
    /// <param name="initialPort">What a proxy sees of an untouched instance of a service (<see cref="SyntheticCatalog.InitialPort"/>).</param>
    public ChangeLog(int services, Func<int, int>? initialPort = null)
    {
        _initialPort = initialPort ?? (_ => SyntheticCatalog.BasePort);
        _changes = new Change[services][];
        _counts = new int[services];
        for (var s = 0; s < services; s++)
        {
            _changes[s] = [];
        }
    }

    public int Total => Volatile.Read(ref _total);

    public int Count(int service) => Volatile.Read(ref _counts[service]);

    /// <summary>Change <paramref name="index"/> of <paramref name="service"/>; valid for any index below a count read earlier.</summary>
    public Change Get(int service, int index) => Volatile.Read(ref _changes[service])[index];

    /// <summary>
    /// What a proxy sees of an instance once the first <paramref name="prefix"/> changes of its service reached it:
    /// the target of the last of them that touched the instance, else its state before the run.
    /// </summary>
    public int StateAfter(int service, int instance, int prefix)
    {
        for (var j = prefix - 1; j >= 0; j--)
        {
            var change = Get(service, j);
            if (change.Instance == instance)
            {
                return change.TargetPort;
            }
        }

        return _initialPort(service);
    }

    /// <summary>
    /// Whether changes <paramref name="from"/> up to <paramref name="to"/> of a service leave every instance they
    /// touch as it was: a stream that lagged behind all of them is owed nothing, and the bridge rightly sends nothing
    /// (it serves the latest state, never the steps between).
    /// </summary>
    public bool NetNoOp(int service, int from, int to)
    {
        for (var j = from; j < to; j++)
        {
            var instance = Get(service, j).Instance;
            if (StateAfter(service, instance, from) != StateAfter(service, instance, to))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The service of the change numbered <paramref name="seq"/>.</summary>
    public int ServiceOfSeq(int seq) => BySeq(seq).Service;

    /// <summary>The change numbered <paramref name="seq"/>.</summary>
    public Change BySeq(int seq)
    {
        lock (_gate)
        {
            return _bySeq[seq];
        }
    }

    public void Append(Change change)
    {
        lock (_gate)
        {
            var s = change.Service;
            var array = _changes[s];
            var count = _counts[s];
            if (count == array.Length)
            {
                var grown = new Change[Math.Max(8, array.Length * 2)];
                Array.Copy(array, grown, count);
                grown[count] = change;
                Volatile.Write(ref _changes[s], grown);
            }
            else
            {
                array[count] = change;
            }

            Volatile.Write(ref _counts[s], count + 1);
            _bySeq.Add(change);
            _total++;
        }
    }
}
