namespace Bridge.DevAgent.Catalog;

/// <summary>The empty proxy block Consul serialises on every non-proxy service.</summary>
internal sealed class ProxyConfig
{
    public static ProxyConfig Empty { get; } = new();

    public string Mode => string.Empty;

    public EmptyObject MeshGateway => EmptyObject.Instance;

    public EmptyObject Expose => EmptyObject.Instance;
}
