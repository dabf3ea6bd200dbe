namespace Bridge.DevAgent.Control;

/// <summary>One element of <c>GET /_dev/datacenters</c>.</summary>
/// <param name="Name">Datacenter name.</param>
/// <param name="Local">The agent's own datacenter.</param>
/// <param name="Primary">Where config entries are written.</param>
/// <param name="Reachable">False while the <c>UnreachableDatacenters</c> fault names it.</param>
/// <param name="Index">Its last write's index.</param>
/// <param name="ConfigEntriesIndex">Its config-entries table index.</param>
internal sealed record DatacenterStatus(string Name, bool Local, bool Primary, bool Reachable, ulong Index, ulong ConfigEntriesIndex);
