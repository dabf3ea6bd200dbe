namespace Bridge.LoadTest.Catalog;

/// <summary>
/// The catalog a run serves: <c>S</c> services of <c>I</c> instances each, spread over nodes so that the instances
/// of one service sit on distinct nodes (and so have distinct addresses, as the bridge expects). Every instance has
/// one service check, which churn flips, and starts passing on port 8080. Beyond them, <c>R</c> reserved service
/// names are not seeded: churn registers them during the run as new services.
/// </summary>
internal sealed class SyntheticCatalog
{
    public const int BasePort = 8080;

    private readonly string[] _serviceNames;
    private readonly string[] _nodeNames;
    private readonly string[] _nodeAddresses;
    private readonly Dictionary<string, int> _serviceIndex;

    public SyntheticCatalog(int services, int instancesPerService, int nodes, int reservedServices = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(services, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(instancesPerService, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(reservedServices);
        Services = services;
        TotalServices = services + reservedServices;
        InstancesPerService = instancesPerService;
        Nodes = Math.Max(nodes, instancesPerService);
        var width = Math.Max(4, TotalServices.ToString(CultureInfo.InvariantCulture).Length);
        _serviceNames = [.. Enumerable.Range(0, TotalServices).Select(s => "svc-" + s.ToString("D" + width, CultureInfo.InvariantCulture))];
        _nodeNames = [.. Enumerable.Range(0, Nodes).Select(n => "node-" + n.ToString("D5", CultureInfo.InvariantCulture))];
        _nodeAddresses = [.. Enumerable.Range(0, Nodes).Select(n => string.Create(CultureInfo.InvariantCulture, $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"))];
        _serviceIndex = _serviceNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>Services seeded before the run: numbers 0 to <c>Services - 1</c>.</summary>
    public int Services { get; }

    /// <summary>Seeded and reserved services: the reserved ones follow the seeded ones.</summary>
    public int TotalServices { get; }

    public int InstancesPerService { get; }

    public int Nodes { get; }

    public int Instances => Services * InstancesPerService;

    /// <summary>What a proxy sees of an instance no change has touched: seeded instances serve on <see cref="BasePort"/>, reserved ones do not exist.</summary>
    public int InitialPort(int service) => service < Services ? BasePort : Change.Absent;

    /// <summary>About 50 instances a node, and never fewer nodes than instances of one service.</summary>
    public static int DefaultNodes(int services, int instancesPerService) =>
        Math.Max(instancesPerService, (int)Math.Ceiling(services * (double)instancesPerService / 50));

    public string ServiceName(int service) => _serviceNames[service];

    public bool TryGetService(string name, out int service) => _serviceIndex.TryGetValue(name, out service);

    /// <summary>Node of instance <paramref name="instance"/> of <paramref name="service"/>: distinct nodes for one service's instances.</summary>
    public int NodeOf(int service, int instance) => (int)(((long)service * 7919 + instance) % Nodes);

    public string NodeName(int node) => _nodeNames[node];

    /// <summary>The instance's endpoint address, which is its node's.</summary>
    public string AddressOf(int service, int instance) => _nodeAddresses[NodeOf(service, instance)];

    public string InstanceId(int service, int instance) =>
        string.Create(CultureInfo.InvariantCulture, $"{_serviceNames[service]}-{instance}");

    public string CheckId(int service, int instance) => "alive:" + InstanceId(service, instance);

    /// <summary>The registration of an instance with the given port; the same body every time for the same port.</summary>
    public CatalogRegistration Registration(int service, int instance, int port, bool withCheck)
    {
        var node = NodeOf(service, instance);
        var id = InstanceId(service, instance);
        return new CatalogRegistration
        {
            Node = _nodeNames[node],
            Address = _nodeAddresses[node],
            SkipNodeUpdate = !withCheck,
            Service = new CatalogServiceRegistration { Id = id, Service = _serviceNames[service], Port = port },
            Checks = withCheck
                ? [new CatalogCheckRegistration { CheckId = CheckId(service, instance), Name = "alive", Status = "passing", ServiceId = id }]
                : null,
        };
    }

    /// <summary>A critical maintenance check on an instance, as Consul stores <c>/v1/agent/service/maintenance</c>.</summary>
    public CatalogRegistration MaintenanceCheck(int service, int instance)
    {
        var id = InstanceId(service, instance);
        return new CatalogRegistration
        {
            Node = _nodeNames[NodeOf(service, instance)],
            SkipNodeUpdate = true,
            Checks =
            [
                new CatalogCheckRegistration
                {
                    CheckId = MaintenanceCheckId(service, instance),
                    Name = "Service Maintenance Mode",
                    Notes = "load harness",
                    Status = "critical",
                    ServiceId = id,
                },
            ],
        };
    }

    public string MaintenanceCheckId(int service, int instance) => "_service_maintenance:" + InstanceId(service, instance);

    /// <summary>Registers every seeded instance, passing, on <see cref="BasePort"/>.</summary>
    public void Seed(DevCatalog catalog, Action<int>? progress = null)
    {
        var done = 0;
        for (var s = 0; s < Services; s++)
        {
            for (var i = 0; i < InstancesPerService; i++)
            {
                catalog.RegisterCatalogEntry(Registration(s, i, BasePort, withCheck: true));
                if (++done % 20_000 == 0)
                {
                    progress?.Invoke(done);
                }
            }
        }
    }
}
