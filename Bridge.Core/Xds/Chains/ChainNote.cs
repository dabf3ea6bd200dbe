namespace Bridge.Core.Xds.Chains;

/// <summary>
/// Something of a chain that one kind of client is not sent as written, and what it gets instead: a client that
/// cannot honour a setting is better served without it than sent a resource it rejects. Notes are the same for the
/// same chain, so a caller can log each once (when it first appears) and list them for operators.
/// </summary>
/// <param name="Chain">The service whose chain it is.</param>
/// <param name="Kind">The client kind concerned.</param>
/// <param name="Where">The part of the chain: <c>route 2</c>, <c>catch-all route</c>, <c>target v2.web.dc1</c>.</param>
/// <param name="What">What is not sent, and what is sent instead.</param>
internal sealed record ChainNote(string Chain, ClientKind Kind, string Where, string What)
{
    public override string ToString() => $"chain {Chain}, {Where}, for {Kind} clients: {What}";
}

/// <summary>An address and port an instance is reached at.</summary>
internal readonly record struct InstanceAddress(string Address, long Port);
