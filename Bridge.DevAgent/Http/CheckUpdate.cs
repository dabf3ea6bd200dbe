namespace Bridge.DevAgent.Http;

/// <summary>Body of <c>PUT /v1/agent/check/update/&lt;id&gt;</c>.</summary>
internal sealed record CheckUpdate
{
    public string? Status { get; init; }

    public string? Output { get; init; }
}
