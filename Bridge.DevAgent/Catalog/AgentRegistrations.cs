using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Turns an agent registration into catalog records with the agent's validation and defaults
/// (agent/agent_endpoint.go <c>AgentRegisterService</c>, agent/agent.go <c>addServiceInternal</c>).
/// </summary>
internal static class AgentRegistrations
{
    /// <summary>The checks AgentRegisterService makes before it resolves the token.</summary>
    public static void CheckNameAndAddress(AgentServiceRegistration registration)
    {
        if (string.IsNullOrEmpty(registration.Name))
        {
            throw new DevAgentException(400, ConsulErrors.MissingServiceName);
        }

        if (Addresses.IsAny(registration.Address ?? string.Empty))
        {
            throw new DevAgentException(400, ConsulErrors.InvalidServiceAddress);
        }
    }

    /// <summary>
    /// The service with the agent's defaults, after the checks AgentRegisterService makes once the token is
    /// resolved: weights, then meta, then NodeService.Validate, each a 400 with Consul's prefix.
    /// </summary>
    public static ServiceRecord ToService(AgentServiceRegistration registration)
    {
        CheckNameAndAddress(registration);
        var name = registration.Name!;
        var address = registration.Address ?? string.Empty;
        var kind = string.IsNullOrEmpty(registration.Kind) ? null : registration.Kind;
        if (registration.Weights is { } weights && ServiceValidation.Weights(weights) is { } badWeights)
        {
            throw new DevAgentException(400, "Invalid Weights: " + badWeights);
        }

        var meta = Normalized(registration.Meta);
        if (ServiceValidation.Meta(kind, meta) is { } badMeta)
        {
            throw new DevAgentException(400, "Invalid Service Meta: " + badMeta);
        }

        if (ServiceValidation.Kind(kind, registration.Port) is { } badKind)
        {
            throw new DevAgentException(400, "Validation failed: " + badKind);
        }

        var tagged = Normalized(registration.TaggedAddresses) ?? new Dictionary<string, ServiceAddress>(StringComparer.Ordinal);

        // addServiceInternal fills in the default tagged addresses from an address Go parses as an IP.
        if (GoIp.FamilyOf(address) is { } family)
        {
            var suffix = family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
            tagged.TryAdd("lan_" + suffix, new ServiceAddress(address, registration.Port));
            tagged.TryAdd("wan_" + suffix, new ServiceAddress(address, registration.Port));
        }

        return new ServiceRecord
        {
            Kind = kind,
            Id = string.IsNullOrEmpty(registration.Id) ? name : registration.Id,
            Service = name,
            Tags = registration.Tags?.Select(t => t ?? string.Empty).ToArray() ?? [],
            Address = address,
            TaggedAddresses = tagged.Count == 0 ? null : tagged,
            Meta = meta,
            Port = registration.Port,
            Weights = registration.Weights ?? ServiceWeights.Default,
            EnableTagOverride = registration.EnableTagOverride,
        };
    }

    /// <summary>agent.validateService's tagged-address rule; Consul answers its failure with a 500, after the ACL check.</summary>
    public static void CheckTaggedAddresses(AgentServiceRegistration registration)
    {
        if (ServiceValidation.TaggedAddresses(Normalized(registration.TaggedAddresses)) is { } problem)
        {
            throw new DevAgentException(500, problem);
        }
    }

    /// <summary>Go decodes a JSON null map value as the zero value, never as a missing entry.</summary>
    internal static Dictionary<string, string>? Normalized(IReadOnlyDictionary<string, string>? map) =>
        map?.ToDictionary(p => p.Key, p => p.Value ?? string.Empty, StringComparer.Ordinal);

    internal static Dictionary<string, ServiceAddress>? Normalized(IReadOnlyDictionary<string, ServiceAddress>? map) =>
        map?.ToDictionary(p => p.Key, p => p.Value is null ? new ServiceAddress(string.Empty, 0) : p.Value with { Address = p.Value.Address ?? string.Empty }, StringComparer.Ordinal);

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
}
