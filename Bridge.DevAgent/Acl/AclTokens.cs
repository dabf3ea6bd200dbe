namespace Bridge.DevAgent.Acl;

/// <summary>
/// The agent's ACL tokens, changeable while it runs (from C# or over <c>/_dev/acl/tokens</c>). ACLs are off
/// until the first token is set (or <see cref="DevAgentOptions.RequiredToken"/> is given) and stay on from then,
/// with Consul's <c>default_policy = "deny"</c>: a request without a token acts as the anonymous token, which
/// has no rules unless some are set for the secret <c>anonymous</c>; an unknown token gets 403 <c>ACL not found</c>.
/// A token change is not a catalog write: no index moves and no blocking query wakes, as in Consul, where
/// ACL writes touch only the ACL tables that catalog queries never report.
/// </summary>
public sealed partial class AclTokens
{
    /// <summary>The secret Consul gives the anonymous token; setting rules on it changes what token-less requests may do.</summary>
    public const string AnonymousSecret = "anonymous";

    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private volatile Snapshot _current = new(false, ImmutableSortedDictionary.Create<string, AclToken>(StringComparer.Ordinal), null);

    internal AclTokens(string? requiredToken, ILogger logger)
    {
        _logger = logger;
        if (requiredToken is not null)
        {
            Set(requiredToken, AclRules.FullAccess);
        }
    }

    /// <summary>Whether ACLs are enforced (<c>X-Consul-Default-ACL-Policy: deny</c>).</summary>
    public bool Enabled => _current.Enabled;

    /// <summary>Creates a token or replaces its rules, and turns ACLs on.</summary>
    /// <param name="secretId">The secret clients send; <see cref="AnonymousSecret"/> sets the anonymous token's rules.</param>
    /// <param name="rules">What it may do.</param>
    /// <returns>The token as stored.</returns>
    /// <exception cref="ArgumentException">The secret is empty.</exception>
    public AclToken Set(string secretId, AclRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (string.IsNullOrEmpty(secretId))
        {
            throw new ArgumentException("An ACL token's secret must not be empty.", nameof(secretId));
        }

        var token = new AclToken(secretId, AccessorIdOf(secretId), rules);
        lock (_gate)
        {
            var current = _current;
            _current = secretId == AnonymousSecret
                ? new Snapshot(true, current.Tokens, rules)
                : new Snapshot(true, current.Tokens.SetItem(secretId, token), current.AnonymousRules);
        }

        Log.TokenSet(_logger, token.AccessorId);
        return token;
    }

    /// <summary>
    /// Deletes a token: requests that send it get 403 <c>ACL not found</c> from then on. Removing
    /// <see cref="AnonymousSecret"/> takes the anonymous token's rules away again. ACLs stay on.
    /// </summary>
    /// <param name="secretId">The token's secret.</param>
    /// <returns>False when no such token existed.</returns>
    public bool Remove(string secretId)
    {
        ArgumentNullException.ThrowIfNull(secretId);
        bool removed;
        lock (_gate)
        {
            var current = _current;
            if (secretId == AnonymousSecret)
            {
                removed = current.AnonymousRules is not null;
                _current = new Snapshot(current.Enabled, current.Tokens, null);
            }
            else
            {
                removed = current.Tokens.ContainsKey(secretId);
                _current = new Snapshot(current.Enabled, current.Tokens.Remove(secretId), current.AnonymousRules);
            }
        }

        if (removed)
        {
            Log.TokenRemoved(_logger, AccessorIdOf(secretId));
        }

        return removed;
    }

    /// <summary>Every token, by secret; the anonymous token is listed once rules are set on it.</summary>
    public IReadOnlyList<AclToken> List()
    {
        var current = _current;
        var tokens = current.Tokens.Values.ToList();
        if (current.AnonymousRules is { } anonymous)
        {
            tokens.Add(new AclToken(AnonymousSecret, Authorizer.AnonymousAccessorId, anonymous));
        }

        return tokens;
    }

    /// <summary>What a request's token may do; null for a token the agent does not know (403 <c>ACL not found</c>).</summary>
    internal Authorizer? Resolve(string secretId)
    {
        var current = _current;
        if (!current.Enabled)
        {
            return Authorizer.AllowAll;
        }

        if (secretId.Length == 0 || secretId == AnonymousSecret)
        {
            return current.Anonymous;
        }

        return current.Tokens.TryGetValue(secretId, out var token) ? Authorizer.For(token.AccessorId, token.Rules) : null;
    }

    // Stable per secret, so error texts name the same accessor across restarts.
    private static string AccessorIdOf(string secretId)
    {
        if (secretId == AnonymousSecret)
        {
            return Authorizer.AnonymousAccessorId;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("accessor:" + secretId));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }

    // A class, not a record: "with" would copy the anonymous authorizer built for the old rules.
    private sealed class Snapshot(bool enabled, ImmutableSortedDictionary<string, AclToken> tokens, AclRules? anonymousRules)
    {
        public bool Enabled { get; } = enabled;

        public ImmutableSortedDictionary<string, AclToken> Tokens { get; } = tokens;

        public AclRules? AnonymousRules { get; } = anonymousRules;

        public Authorizer Anonymous { get; } = Authorizer.For(Authorizer.AnonymousAccessorId, anonymousRules ?? AclRules.None);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "ACL token {AccessorId} set; ACLs enforced")]
        public static partial void TokenSet(ILogger logger, string accessorId);

        [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "ACL token {AccessorId} removed")]
        public static partial void TokenRemoved(ILogger logger, string accessorId);
    }
}
