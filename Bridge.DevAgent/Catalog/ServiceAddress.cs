namespace Bridge.DevAgent.Catalog;

/// <summary>A tagged address of a service instance (<c>lan_ipv4</c>, <c>wan</c>, ...).</summary>
/// <param name="Address">IP or host name.</param>
/// <param name="Port">Port: any 64-bit number, as Consul's <c>int</c> takes it.</param>
public sealed record ServiceAddress(string Address, long Port);
