using Microsoft.Extensions.Logging;

namespace Bridge.Core.Catalog;

/// <summary>Catalog events. Event ids are part of the operator interface: never renumber or reuse one.</summary>
internal static partial class CatalogLog
{
    [LoggerMessage(EventId = 2001, EventName = "ServiceAdded", Level = LogLevel.Information,
        Message = "Service {Service} added with {Instances} instances")]
    public static partial void ServiceAdded(ILogger logger, string service, int instances);

    [LoggerMessage(EventId = 2002, EventName = "ServiceRemoved", Level = LogLevel.Information,
        Message = "Service {Service} removed: it left the Consul catalog")]
    public static partial void ServiceRemoved(ILogger logger, string service);

    [LoggerMessage(EventId = 2003, EventName = "ServiceChanged", Level = LogLevel.Information,
        Message = "Service {Service} changed: {Added} added, {Removed} removed, {Changed} changed, {Instances} instances now")]
    public static partial void ServiceChanged(ILogger logger, string service, int added, int removed, int changed, int instances);

    [LoggerMessage(EventId = 2004, EventName = "CatalogSynced", Level = LogLevel.Information,
        Message = "Catalog synced with Consul: {Services} services, {Instances} instances")]
    public static partial void Synced(ILogger logger, int services, int instances);

    [LoggerMessage(EventId = 2005, EventName = "DuplicateInstance", Level = LogLevel.Warning,
        Message = "Consul listed instance {Instance} of service {Service} more than once; the first entry is kept")]
    public static partial void DuplicateInstance(ILogger logger, string service, string instance);

    [LoggerMessage(EventId = 2006, EventName = "PersistedStateLoaded", Level = LogLevel.Warning,
        Message = "Serving {Services} services ({Instances} instances) from the state file saved at {SavedAt:o}; this is stale until Consul answers")]
    public static partial void PersistedLoaded(ILogger logger, int services, int instances, DateTimeOffset savedAt);

    [LoggerMessage(EventId = 2007, EventName = "StateFileUnusable", Level = LogLevel.Error,
        Message = "State file {Path} is unusable and is ignored: {Reason}")]
    public static partial void StateFileUnusable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2008, EventName = "StateFileWriteFailed", Level = LogLevel.Error,
        Message = "Could not write the state file {Path}: {Reason}; the previous file stays")]
    public static partial void StateFileWriteFailed(ILogger logger, string path, string reason);
}
