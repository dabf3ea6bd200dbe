namespace Bridge.DevAgent.Catalog;

/// <summary>
/// A service registered on the agent's own node: the body of <c>PUT /v1/agent/service/register</c>.
/// Field names are Consul's; JSON is matched case-insensitively as Consul's decoder does.
/// </summary>
public sealed record AgentServiceRegistration : ServiceRegistrationFields
{
    /// <summary>Service name (required).</summary>
    public string? Name { get; init; }

    /// <summary>A single check; registered before <see cref="Checks"/>.</summary>
    public AgentCheckRegistration? Check { get; init; }

    /// <summary>Further checks.</summary>
    public IReadOnlyList<AgentCheckRegistration>? Checks { get; init; }
}
