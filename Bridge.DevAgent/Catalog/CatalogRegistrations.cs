namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Turns a catalog registration into records with the server's validation and defaults
/// (agent/consul/catalog_endpoint.go <c>Register</c>). Unlike the agent path, it fills in no tagged
/// addresses and accepts any check status.
/// </summary>
internal static class CatalogRegistrations
{
    public static ServiceRecord ToService(CatalogServiceRegistration registration)
    {
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

        // ToServiceNode falls back to the default weights when the given ones are invalid.
        var weights = registration.Weights is { Passing: > 0, Warning: >= 0 } given ? given : ServiceWeights.Default;
        return new ServiceRecord
        {
            Kind = string.IsNullOrEmpty(registration.Kind) ? null : registration.Kind,
            Id = id,
            Service = name,
            Tags = registration.Tags?.ToArray() ?? [],
            Address = address,
            TaggedAddresses = registration.TaggedAddresses is { Count: > 0 } tagged
                ? new Dictionary<string, ServiceAddress>(tagged, StringComparer.Ordinal)
                : null,
            Meta = registration.Meta is null ? null : new Dictionary<string, string>(registration.Meta, StringComparer.Ordinal),
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
