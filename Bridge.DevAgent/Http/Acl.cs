namespace Bridge.DevAgent.Http;

/// <summary>What a request's token may do when <see cref="DevAgentOptions.RequiredToken"/> is set.</summary>
internal enum AclOutcome
{
    /// <summary>ACLs off, or the token is the required one.</summary>
    Allowed,

    /// <summary>No token: the anonymous token, which may read nothing. Reads are filtered to empty, writes are denied.</summary>
    Anonymous,

    /// <summary>A token the agent does not know: 403 <c>ACL not found</c>.</summary>
    NotFound,
}

internal static class Acl
{
    public static AclOutcome Resolve(string? requiredToken, string token) =>
        requiredToken is null || token == requiredToken ? AclOutcome.Allowed
        : token.Length == 0 ? AclOutcome.Anonymous
        : AclOutcome.NotFound;
}
