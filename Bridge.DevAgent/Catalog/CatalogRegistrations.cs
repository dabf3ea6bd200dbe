namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Turns a catalog registration into records with the server's validation and defaults
/// (agent/consul/catalog_endpoint.go <c>Register</c>). Unlike the agent path, it fills in no tagged
/// addresses and accepts any check status.
/// </summary>
internal static class CatalogRegistrations
{
    /// <summary>
    /// servicePreApply's checks in its order: NodeService.Validate, a name with the ID, a non-wildcard address. No
    /// meta, weight or tagged-address rule applies on this path: those are the agent endpoint's.
    /// </summary>
    public static ServiceRecord ToService(CatalogServiceRegistration registration)
    {
        var kind = string.IsNullOrEmpty(registration.Kind) ? null : registration.Kind;
        if (ServiceValidation.Kind(kind, registration.Port) is { } badKind)
        {
            throw new DevAgentException(500, badKind);
        }

        var name = registration.Service ?? string.Empty;
        var id = string.IsNullOrEmpty(registration.Id) ? name : registration.Id;
        if (name.Length == 0)
        {
            throw new DevAgentException(500, ConsulErrors.ServiceNameWithId);
        }

        var address = registration.Address ?? string.Empty;
        if (Addresses.IsAny(address))
        {
            throw new DevAgentException(500, ConsulErrors.InvalidServiceAddress);
        }

        // ToServiceNode keeps weights only when ValidateWeights passes them; anything else becomes 1/1, silently.
        var weights = registration.Weights is { } given && ServiceValidation.Weights(given) is null ? given : ServiceWeights.Default;
        return new ServiceRecord
        {
            Kind = kind,
            Id = id,
            Service = name,
            Tags = registration.Tags?.Select(t => t ?? string.Empty).ToArray() ?? [],
            Address = address,
            TaggedAddresses = registration.TaggedAddresses is { Count: > 0 } tagged ? AgentRegistrations.Normalized(tagged) : null,
            Meta = AgentRegistrations.Normalized(registration.Meta),
            Port = registration.Port,
            Weights = weights,
            EnableTagOverride = registration.EnableTagOverride,
        };
    }

    public static IReadOnlyList<CheckRecord> ToChecks(CatalogRegistration registration, string nodeName)
    {
        // The server appends the single Check after the Checks list.
        var definitions = new List<CatalogCheckRegistration>(registration.Checks?.Where(c => c is not null) ?? []);
        if (registration.Check is not null)
        {
            definitions.Add(registration.Check);
        }

        return definitions.Select(check => new CheckRecord
        {
            Node = nodeName,
            CheckId = string.IsNullOrEmpty(check.CheckId) ? check.Name ?? string.Empty : check.CheckId,
            Name = check.Name ?? string.Empty,
            Status = string.IsNullOrEmpty(check.Status) ? CheckStatuses.Critical : check.Status,
            Notes = check.Notes ?? string.Empty,
            Output = check.Output ?? string.Empty,
            ServiceId = check.ServiceId ?? string.Empty,
            Type = check.Type ?? string.Empty,
        }).ToList();
    }
}
