namespace Bridge.DevAgent.Acl;

/// <summary>A token the agent knows, as <c>GET /_dev/acl/tokens</c> lists it.</summary>
/// <param name="SecretId">What clients send (<c>X-Consul-Token</c>); <c>anonymous</c> is the token of requests that send none.</param>
/// <param name="AccessorId">The public ID Consul names in <c>Permission denied</c> errors.</param>
/// <param name="Rules">What it may do.</param>
public sealed record AclToken(
    [property: JsonPropertyName("SecretID")] string SecretId,
    [property: JsonPropertyName("AccessorID")] string AccessorId,
    AclRules Rules);
