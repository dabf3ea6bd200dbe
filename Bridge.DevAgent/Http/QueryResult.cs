namespace Bridge.DevAgent.Http;

/// <summary>One run of a read: the index it reports, the value, and whether ACLs removed anything from it.</summary>
internal readonly record struct QueryResult<T>(ulong Index, T Value, bool FilteredByAcls)
{
    /// <summary>
    /// The query found nothing (blockingquery <c>ErrNotFound</c>): once a run found nothing, further runs that still find
    /// nothing do not end a blocking query, whatever index they report.
    /// </summary>
    public bool NotFound { get; init; }

    /// <summary>
    /// The result is the previous run's (blockingquery <c>ErrNotChanged</c>): a run after the first that changed nothing
    /// does not end a blocking query, whatever index it reports.
    /// </summary>
    public bool Unchanged { get; init; }
}
