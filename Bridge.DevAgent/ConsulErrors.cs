namespace Bridge.DevAgent;

/// <summary>
/// Consul's own error bodies, word for word, so clients can match on them as they would against
/// a real agent (sources: agent/http.go, agent/structs/errors.go, acl/errors.go, agent/agent_endpoint.go).
/// </summary>
internal static class ConsulErrors
{
    public const string AclNotFound = "ACL not found";
    public const string PermissionDenied = "Permission denied";
    public const string NoClusterLeader = "No cluster leader";
    public const string NoPathToDatacenter = "No path to datacenter";
    public const string InvalidWait = "Invalid wait time";
    public const string InvalidIndex = "Invalid index";
    public const string InvalidPassing = "Invalid value for ?passing";
    public const string StaleWithConsistent = "Cannot specify ?stale with ?consistent, conflicting semantics.";
    public const string CachedWithConsistent = "Cannot specify ?cached with ?consistent, conflicting semantics.";
    public const string MissingServiceName = "Missing service name";
    public const string MissingServiceId = "Missing service ID";
    public const string MissingCheckState = "Missing check state";
    public const string MissingEnable = "Missing value for enable";
    public const string InvalidServiceAddress = "Invalid service address";
    public const string BadCheckStatus = "Status for checks must 'passing', 'warning', 'critical'";
    public const string MissingNode = "Must provide node";
    public const string MissingNodeAddress = "Must provide address if SkipNodeUpdate is not set";
    public const string ServiceNameWithId = "Must provide service name (Service.Service) when service ID is provided";
    public const string MissingNodeRegistration = "Missing node registration";
    public const string MissingServiceRegistration = "Missing service registration";
    // Not Consul's: an endpoint the dev agent knows no filter selectors for refuses rather than ignores ?filter.
    public const string FilterUnsupported = "The dev agent does not support ?filter expressions on this endpoint";
    public const string NotApiPath = "Invalid URL path: not a recognized HTTP API endpoint\n";
    public const string NotV1Path = "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n";

    // Server-side request_limits (agent/consul/rate): 429 asks the client to try elsewhere, 503 to back off.
    public const string RetryElsewhere = "rate limit exceeded, try again later or against a different server";
    public const string RetryLater = "rate limit exceeded for operation that can only be performed by the leader, try again later";

    // hashicorp/go-connlimit writes these bytes itself, before any HTTP handling, then closes the connection.
    public const string TooManyConnections = "Your IP is issuing too many concurrent connections, please rate limit your calls\n";

    public static readonly byte[] TooManyConnectionsResponse = System.Text.Encoding.ASCII.GetBytes(
        "HTTP/1.1 429 Too Many Requests\r\n" +
        "Content-Type: text/plain\r\n" +
        $"Content-Length: {TooManyConnections.Length}\r\n" +
        "Connection: close\r\n\r\n" +
        TooManyConnections);

    public static string InvalidEnable(string raw) => $"Invalid value for enable: {GoQuote(raw)}";

    public static string InvalidCheckStatusUpdate(string status) => $"Invalid check status: '{status}'";

    public static string UnknownServiceId(string serviceId) =>
        $"Unknown service ID {GoQuote(serviceId)}. Ensure that the service ID is passed, not the service name.";

    public static string UnknownCheckId(string checkId) =>
        $"Unknown check ID {GoQuote(checkId)}. Ensure that the check ID is passed, not the check name.";

    public static string NoTtl(string checkId) => $"CheckID {GoQuote(checkId)} does not have associated TTL";

    public static string RequestDecodeFailed(string detail) => $"Request decode failed: {detail}";

    public static string MethodNotAllowed(string method) => $"method {method} not allowed";

    public static string InvalidMaxStale(string raw) => $"Invalid max_stale value {GoQuote(raw)}";

    /// <summary>Go's <c>%q</c> for the plain strings these messages carry.</summary>
    public static string GoQuote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
