namespace Bridge.DevAgent.Catalog;

/// <summary>Serialises as <c>{}</c>, for Consul structs whose fields are all omitted when empty.</summary>
internal sealed class EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}
