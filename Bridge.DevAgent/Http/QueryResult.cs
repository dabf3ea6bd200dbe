namespace Bridge.DevAgent.Http;

/// <summary>One run of a read: the index it reports, the value, and whether ACLs removed anything from it.</summary>
internal readonly record struct QueryResult<T>(ulong Index, T Value, bool FilteredByAcls);
