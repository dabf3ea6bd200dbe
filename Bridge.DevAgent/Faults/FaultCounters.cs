namespace Bridge.DevAgent.Faults;

/// <summary>How often each fault has been applied since the agent started.</summary>
public sealed record FaultCounters
{
    /// <summary>Requests delayed by <see cref="FaultSettings.Latency"/>.</summary>
    public long DelayedRequests { get; init; }

    /// <summary>Error responses sent by an <see cref="ErrorFault"/>.</summary>
    public long ErrorResponses { get; init; }

    /// <summary>Responses aborted mid-body.</summary>
    public long DroppedMidBody { get; init; }

    /// <summary>Truncated JSON bodies sent.</summary>
    public long TruncatedBodies { get; init; }

    /// <summary>Non-JSON bodies sent.</summary>
    public long GarbageBodies { get; init; }

    /// <summary>Wrongly typed JSON bodies sent.</summary>
    public long WrongTypeBodies { get; init; }

    /// <summary>Oversized bodies sent.</summary>
    public long OversizedBodies { get; init; }

    /// <summary>Connections and requests dropped while down.</summary>
    public long DownAborts { get; init; }

    /// <summary>Blocking queries answered just before their deadline.</summary>
    public long LateAnswers { get; init; }

    /// <summary>Answers sent without their <c>X-Consul-Index</c>.</summary>
    public long StrippedIndexes { get; init; }

    /// <summary>Stale reads answered as the stale-read fault says.</summary>
    public long StaleReads { get; init; }
}
