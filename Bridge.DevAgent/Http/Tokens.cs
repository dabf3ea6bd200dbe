namespace Bridge.DevAgent.Http;

/// <summary>Reads the ACL token as Consul does (agent/http.go <c>parseTokenInternal</c>): <c>?token</c>, then <c>X-Consul-Token</c>, then <c>Authorization: Bearer</c>.</summary>
internal static class Tokens
{
    public static string From(HttpRequest request)
    {
        if (request.Query["token"].FirstOrDefault() is { Length: > 0 } queryToken)
        {
            return queryToken;
        }

        if (request.Headers["X-Consul-Token"].FirstOrDefault() is { Length: > 0 } headerToken)
        {
            return headerToken;
        }

        if (request.Headers.Authorization.FirstOrDefault() is { Length: > 0 } authorization)
        {
            var parts = authorization.Split(' ');
            if (parts.Length > 1 && parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase))
            {
                return string.Join(' ', parts[1..]).Trim();
            }
        }

        return string.Empty;
    }
}
