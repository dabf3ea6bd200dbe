namespace Bridge.LoadTest.Catalog;

/// <summary>Which changes churn makes.</summary>
internal enum ChangeMix
{
    /// <summary>Ports and health: a passing instance moves port or goes critical, a critical one passes again.</summary>
    Mixed,

    /// <summary>Only port moves: every change leaves a state no earlier change left, whatever the rate.</summary>
    Ports,

    /// <summary>
    /// Every kind of change a proxy sees: port moves, health flips, maintenance toggles, instances deregistered and
    /// registered again, and every tenth change a new service (while reserved names last).
    /// </summary>
    Everything,
}

/// <summary>
/// Changes instances at a steady rate through the dev agent's C# API, logging each change (service, instance, what
/// a proxy will see, Stopwatch timestamp taken just before the write) before it is written, so no response can
/// carry a change the log does not yet hold. A change is planned some time before it is made, which lets the floor
/// probe park its blocking query on the service first.
/// </summary>
internal sealed class Churn
{
    private const int FirstChangedPort = 30_000;
    private const int LastChangedPort = 65_000;

    private readonly SyntheticCatalog _catalog;
    private readonly DevCatalog _agent;
    private readonly ChangeLog _log;
    private readonly FloorProbe? _floor;
    private readonly TimeSpan _cooldown;
    private readonly Random _random;
    private readonly int[] _ports;
    private readonly InstanceState[] _states;
    private readonly long[] _reservedUntil;
    private readonly int[] _absentPerService;
    private int _nextPort = FirstChangedPort;
    private int _nextNewService;
    private int _planned;
    private int _seq;

    public Churn(SyntheticCatalog catalog, DevCatalog agent, ChangeLog log, FloorProbe? floor, TimeSpan cooldown, int seed)
    {
        _catalog = catalog;
        _agent = agent;
        _log = log;
        _floor = floor;
        _cooldown = cooldown;
        _random = new Random(seed);
        var slots = catalog.TotalServices * catalog.InstancesPerService;
        _ports = new int[slots];
        Array.Fill(_ports, SyntheticCatalog.BasePort);
        _states = new InstanceState[slots];
        _reservedUntil = new long[slots];
        _absentPerService = new int[catalog.TotalServices];
        _nextNewService = catalog.Services;
    }

    private enum InstanceState
    {
        Serving,
        Critical,
        Maintenance,
        Deregistered,
    }

    /// <summary>New services registered so far.</summary>
    public int NewServices => _nextNewService - _catalog.Services;

    /// <summary>Instances changed again within the cool-down because every instance of the service was cooling down.</summary>
    public int CooldownViolations { get; private set; }

    /// <summary>Makes <paramref name="count"/> changes of <paramref name="mix"/> at <paramref name="perSecond"/>, on services <paramref name="pickService"/> picks.</summary>
    /// <returns>The wall time the changes took.</returns>
    public async Task<TimeSpan> RunAsync(int count, double perSecond, ChangeMix mix, Func<Random, int> pickService, Action<int>? progress, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        var interval = TimeSpan.FromSeconds(1 / perSecond);

        // Plan half a second ahead (at least one change): time enough for a floor query to be parked.
        var lead = Math.Max(1, (int)Math.Ceiling(0.5 * perSecond));
        var planned = new Queue<Planned>();
        var clock = Stopwatch.StartNew();
        for (var k = 0; k < count + lead; k++)
        {
            if (k >= lead)
            {
                var due = interval * (k - lead);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }

                Apply(planned.Dequeue());
                if (progress is not null && (k - lead + 1) % Math.Max(1, (int)perSecond) == 0)
                {
                    progress(k - lead + 1);
                }
            }

            if (k < count)
            {
                // A floor query returns at the service's next write: arm it only if no earlier planned change is
                // still to be made to the same service.
                var service = pickService(_random);
                if (mix == ChangeMix.Everything && _planned++ % 10 == 9 && _nextNewService < _catalog.TotalServices)
                {
                    service = _nextNewService++;
                }

                var sameServicePending = planned.Any(p => p.Service == service);
                var query = _floor is not null && !sameServicePending ? _floor.Arm(_catalog.ServiceName(service), _agent.Index) : null;
                planned.Enqueue(Plan(service, mix, query));
            }
        }

        return clock.Elapsed;
    }

    private Planned Plan(int service, ChangeMix mix, FloorQuery? query)
    {
        if (service >= _catalog.Services)
        {
            // A new service: its first instance, on a port no change used before.
            var first = NextPort();
            _ports[Slot(service, 0)] = first;
            return new Planned(service, 0, ChangeKind.NewService, first, query);
        }

        var now = Stopwatch.GetTimestamp();
        var perService = _catalog.InstancesPerService;
        var start = _random.Next(perService);
        var instance = -1;
        var oldest = -1;
        for (var n = 0; n < perService; n++)
        {
            var candidate = (start + n) % perService;
            var slot = Slot(service, candidate);
            if (_reservedUntil[slot] <= now)
            {
                instance = candidate;
                break;
            }

            if (oldest < 0 || _reservedUntil[slot] < _reservedUntil[Slot(service, oldest)])
            {
                oldest = candidate;
            }
        }

        if (instance < 0)
        {
            instance = oldest;

            // Port moves never repeat a state, so only a change to or from absent can be mistaken for an older one.
            if (mix != ChangeMix.Ports)
            {
                CooldownViolations++;
            }
        }

        var index = Slot(service, instance);
        _reservedUntil[index] = now + (long)(_cooldown.TotalSeconds * Stopwatch.Frequency);
        var kind = Next(_states[index], mix, _absentPerService[service] * 3 >= perService);
        var port = _ports[index];
        switch (kind)
        {
            case ChangeKind.Port:
                port = NextPort();
                _ports[index] = port;
                break;
            case ChangeKind.Critical or ChangeKind.MaintenanceOn or ChangeKind.Deregistered:
                _states[index] = kind switch
                {
                    ChangeKind.Critical => InstanceState.Critical,
                    ChangeKind.MaintenanceOn => InstanceState.Maintenance,
                    _ => InstanceState.Deregistered,
                };
                _absentPerService[service]++;
                port = Change.Absent;
                break;
            default:
                _states[index] = InstanceState.Serving;
                _absentPerService[service]--;
                break;
        }

        return new Planned(service, instance, kind, port, query);
    }

    /// <summary>
    /// An absent instance comes back the way it left; a serving one moves port or, while at most a third of its service
    /// is absent, leaves in one of the ways the mix allows.
    /// </summary>
    private ChangeKind Next(InstanceState state, ChangeMix mix, bool absentEnough) => state switch
    {
        InstanceState.Critical => ChangeKind.Passing,
        InstanceState.Maintenance => ChangeKind.MaintenanceOff,
        InstanceState.Deregistered => ChangeKind.Registered,
        _ when mix == ChangeMix.Ports || absentEnough => ChangeKind.Port,
        _ when mix == ChangeMix.Mixed => _random.Next(2) == 0 ? ChangeKind.Port : ChangeKind.Critical,
        _ => _random.Next(5) switch
        {
            0 or 1 => ChangeKind.Port,
            2 => ChangeKind.Critical,
            3 => ChangeKind.MaintenanceOn,
            _ => ChangeKind.Deregistered,
        },
    };

    private void Apply(Planned change)
    {
        var timestamp = Stopwatch.GetTimestamp();
        _log.Append(new Change(_seq++, change.Service, change.Instance, change.Kind, change.TargetPort, timestamp));
        if (change.Floor is not null)
        {
            change.Floor.ChangedAt = timestamp;
        }

        var (service, instance) = (change.Service, change.Instance);
        var node = _catalog.NodeName(_catalog.NodeOf(service, instance));
        switch (change.Kind)
        {
            case ChangeKind.Port:
                _agent.RegisterCatalogEntry(_catalog.Registration(service, instance, change.TargetPort, withCheck: false));
                break;
            case ChangeKind.Critical or ChangeKind.Passing:
                var status = change.Kind == ChangeKind.Critical ? CheckStatus.Critical : CheckStatus.Passing;
                _agent.SetCheckStatus(_catalog.CheckId(service, instance), status, node: node);
                break;
            case ChangeKind.MaintenanceOn:
                _agent.RegisterCatalogEntry(_catalog.MaintenanceCheck(service, instance));
                break;
            case ChangeKind.MaintenanceOff:
                _agent.DeregisterCatalogEntry(new CatalogDeregistration { Node = node, CheckId = _catalog.MaintenanceCheckId(service, instance) });
                break;
            case ChangeKind.Deregistered:
                _agent.DeregisterCatalogEntry(new CatalogDeregistration { Node = node, ServiceId = _catalog.InstanceId(service, instance) });
                break;
            case ChangeKind.Registered or ChangeKind.NewService:
                _agent.RegisterCatalogEntry(_catalog.Registration(service, instance, change.TargetPort, withCheck: true));
                break;
        }
    }

    private int NextPort()
    {
        var port = _nextPort;
        _nextPort = port == LastChangedPort ? FirstChangedPort : port + 1;
        return port;
    }

    private int Slot(int service, int instance) => (service * _catalog.InstancesPerService) + instance;

    private sealed record Planned(int Service, int Instance, ChangeKind Kind, int TargetPort, FloorQuery? Floor);
}
