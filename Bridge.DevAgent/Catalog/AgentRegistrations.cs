using System.Net;
using System.Net.Sockets;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Turns an agent registration into catalog records with the agent's validation and defaults
/// (agent/agent_endpoint.go <c>AgentRegisterService</c>, agent/agent.go <c>addServiceInternal</c>).
/// </summary>
internal static class AgentRegistrations
{
    public static ServiceRecord ToService(AgentServiceRegistration registration)
    {
        if (string.IsNullOrEmpty(registration.Name))
        {
            throw new DevAgentException(400, ConsulErrors.MissingServiceName);
        }

        var address = registration.Address ?? string.Empty;
        if (Addresses.IsAny(address))
        {
            throw new DevAgentException(400, ConsulErrors.InvalidServiceAddress);
        }

        if (registration.Weights is { } weights)
        {
            if (weights.Passing <= 0)
            {
                throw new DevAgentException(400, "Invalid Weights: Passing must be greater than 0");
            }

            if (weights.Warning < 0)
            {
                throw new DevAgentException(400, "Invalid Weights: Warning must be greater or equal than 0");
            }
        }

        var tagged = registration.TaggedAddresses is null
            ? new Dictionary<string, ServiceAddress>(StringComparer.Ordinal)
            : new Dictionary<string, ServiceAddress>(registration.TaggedAddresses, StringComparer.Ordinal);

        // The agent fills in the default tagged addresses from an IP service address.
        if (IPAddress.TryParse(address, out var ip))
        {
            var family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
            tagged.TryAdd("lan_" + family, new ServiceAddress(address, registration.Port));
            tagged.TryAdd("wan_" + family, new ServiceAddress(address, registration.Port));
        }

        return new ServiceRecord
        {
            Kind = string.IsNullOrEmpty(registration.Kind) ? null : registration.Kind,
            Id = string.IsNullOrEmpty(registration.Id) ? registration.Name : registration.Id,
            Service = registration.Name,
            Tags = registration.Tags?.ToArray() ?? [],
            Address = address,
            TaggedAddresses = tagged.Count == 0 ? null : tagged,
            Meta = Copy(registration.Meta),
            Port = registration.Port,
            Weights = registration.Weights ?? ServiceWeights.Default,
            EnableTagOverride = registration.EnableTagOverride,
        };
    }

    public static IReadOnlyList<CheckRecord> ToChecks(AgentServiceRegistration registration, ServiceRecord service, string nodeName)
    {
        var definitions = new List<AgentCheckRegistration>();
        if (registration.Check is not null)
        {
            definitions.Add(registration.Check);
        }

        definitions.AddRange(registration.Checks?.Where(c => c is not null) ?? []);
        foreach (var definition in definitions)
        {
            if (Validate(definition) is { } problem)
            {
                throw new DevAgentException(400, "Invalid check: " + problem);
            }
        }

        var checks = new List<CheckRecord>(definitions.Count);
        for (var i = 0; i < definitions.Count; i++)
        {
            var definition = definitions[i];
            if (!string.IsNullOrEmpty(definition.Status) && !CheckStatuses.IsValid(definition.Status))
            {
                throw new DevAgentException(400, ConsulErrors.BadCheckStatus);
            }

            var checkId = definition.CheckId;
            if (string.IsNullOrEmpty(checkId))
            {
                checkId = "service:" + service.Id + (definitions.Count > 1 ? ":" + (i + 1) : string.Empty);
            }

            var type = TypeOf(definition);
            checks.Add(new CheckRecord
            {
                Node = nodeName,
                CheckId = checkId,
                Name = string.IsNullOrEmpty(definition.Name) ? $"Service '{service.Service}' check" : definition.Name,
                Status = string.IsNullOrEmpty(definition.Status) ? CheckStatuses.Critical : definition.Status,
                Notes = definition.Notes ?? string.Empty,
                ServiceId = service.Id,
                Type = type,
                Interval = definition.Interval is { } interval && interval > TimeSpan.Zero ? GoDuration.Format(interval) : string.Empty,
                Timeout = definition.Timeout is { } timeout && timeout > TimeSpan.Zero ? GoDuration.Format(timeout) : string.Empty,
                Ttl = type == "ttl" ? definition.Ttl : null,
            });
        }

        return checks;
    }

    // CheckType.Validate in agent/structs/check_type.go.
    private static string? Validate(AgentCheckRegistration check)
    {
        var interval = check.Interval ?? TimeSpan.Zero;
        var ttl = check.Ttl ?? TimeSpan.Zero;
        var intervalCheck = IsScript(check) || Has(check.Http) || Has(check.Tcp) || Has(check.Udp) || Has(check.Grpc) || Has(check.H2Ping);
        var alias = Has(check.AliasNode) || Has(check.AliasService);
        if (interval > TimeSpan.Zero && ttl > TimeSpan.Zero)
        {
            return "Interval and TTL cannot both be specified";
        }

        if (intervalCheck && interval <= TimeSpan.Zero)
        {
            return "Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks";
        }

        if (!intervalCheck && !alias && ttl <= TimeSpan.Zero)
        {
            return "TTL must be > 0 for TTL checks";
        }

        return null;
    }

    private static string TypeOf(AgentCheckRegistration check) => check switch
    {
        _ when check.Ttl > TimeSpan.Zero => "ttl",
        _ when Has(check.DockerContainerId) => "docker",
        _ when IsScript(check) => "script",
        _ when Has(check.Http) => "http",
        _ when Has(check.Tcp) => "tcp",
        _ when Has(check.Udp) => "udp",
        _ when Has(check.Grpc) => "grpc",
        _ when Has(check.H2Ping) => "h2ping",
        _ => "alias",
    };

    private static bool IsScript(AgentCheckRegistration check) => check.Args is { Count: > 0 };

    private static bool Has(string? value) => !string.IsNullOrEmpty(value);

    private static Dictionary<string, string>? Copy(IReadOnlyDictionary<string, string>? map) =>
        map is null ? null : new Dictionary<string, string>(map, StringComparer.Ordinal);
}
