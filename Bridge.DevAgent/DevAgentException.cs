namespace Bridge.DevAgent;

/// <summary>
/// A request the dev agent refuses, carrying the HTTP status and the body Consul answers with,
/// so C# callers and HTTP clients see the same failure.
/// </summary>
public sealed class DevAgentException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">HTTP status Consul answers with.</param>
    /// <param name="message">Consul's response body for this failure.</param>
    public DevAgentException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>HTTP status Consul answers with.</summary>
    public int StatusCode { get; }
}
