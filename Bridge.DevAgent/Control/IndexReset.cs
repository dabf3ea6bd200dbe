namespace Bridge.DevAgent.Control;

/// <summary>Body of <c>PUT /_dev/catalog/reset-index</c> and answer of <c>GET /_dev/catalog/index</c>.</summary>
internal sealed record IndexReset
{
    public ulong Index { get; init; }
}
