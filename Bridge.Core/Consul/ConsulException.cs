namespace Bridge.Core.Consul;

/// <summary>What went wrong with a Consul query; decides how long the watch backs off.</summary>
public enum ConsulErrorKind
{
    /// <summary>The connection failed, was reset, or the query timed out on our side.</summary>
    Unreachable,

    /// <summary>Consul answered 5xx, e.g. <c>No cluster leader</c>.</summary>
    ServerError,

    /// <summary>429: too many requests or connections from this client.</summary>
    RateLimited,

    /// <summary>403: the token is missing, unknown or lacks a permission. Not transient.</summary>
    Forbidden,

    /// <summary>The configuration names something Consul does not have, e.g. <c>No path to datacenter</c>.</summary>
    Configuration,

    /// <summary>A 200 whose body is not the JSON expected: malformed, truncated, wrongly typed or oversized.</summary>
    BadResponse,

    /// <summary>Any other non-success status.</summary>
    UnexpectedStatus,
}

/// <summary>A failed Consul query, naming the endpoint and the reason.</summary>
public sealed class ConsulException : Exception
{
    public ConsulException(string endpoint, ConsulErrorKind kind, string reason, HttpStatusCode? status = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base($"Consul {endpoint}: {reason}", inner)
    {
        Endpoint = endpoint;
        Kind = kind;
        Reason = reason;
        Status = status;
        RetryAfter = retryAfter;
    }

    public string Endpoint { get; }
    public ConsulErrorKind Kind { get; }
    public string Reason { get; }
    public HttpStatusCode? Status { get; }
    public TimeSpan? RetryAfter { get; }
}
