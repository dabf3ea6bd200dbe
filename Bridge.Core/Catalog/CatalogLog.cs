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

    [LoggerMessage(EventId = 2009, EventName = "InstanceLeftOut", Level = LogLevel.Warning,
        Message = "Instance {ServiceId} of service {Service} on node {Node} is left out: its {Field} {Value} cannot be read; the service's other instances are served")]
    public static partial void InstanceLeftOut(ILogger logger, string service, string node, string serviceId, string field, string value);

    [LoggerMessage(EventId = 2010, EventName = "RemovalHeld", Level = LogLevel.Error,
        Message = "Consul's answer would remove {Services} of {ServedServices} served services and {Instances} of {ServedInstances} instances: held as suspect and still served; applied if Consul still says so after {ConfirmAfter}, or when confirmed (POST /catalog/removal/confirm on the admin port)")]
    public static partial void RemovalHeld(ILogger logger, int services, int servedServices, int instances, int servedInstances, TimeSpan confirmAfter);

    [LoggerMessage(EventId = 2011, EventName = "RemovalReleased", Level = LogLevel.Information,
        Message = "The suspect removal is no longer held: Consul's catalog came back (it would now remove {Services} services and {Instances} instances)")]
    public static partial void RemovalReleased(ILogger logger, int services, int instances);

    [LoggerMessage(EventId = 2012, EventName = "RemovalApplied", Level = LogLevel.Warning,
        Message = "The held removal of {Services} services and {Instances} instances is applied (confirmed by {ConfirmedBy})")]
    public static partial void RemovalApplied(ILogger logger, int services, int instances, string confirmedBy);

    [LoggerMessage(EventId = 2013, EventName = "SyncedWithoutSomeServices", Level = LogLevel.Error,
        Message = "Start-up goes on without {Count} services Consul lists but has not answered for within Catalog:SyncTimeout ({Services}); they are served from the state file if it has them, and join when Consul answers")]
    public static partial void SyncedWithout(ILogger logger, int count, string services);

    [LoggerMessage(EventId = 2014, EventName = "ConfigEntryUnreadable", Level = LogLevel.Warning,
        Message = "Config entry {Kind} {Name} cannot be read ({Field}: {Reason}); it is left out and the others apply")]
    public static partial void ConfigEntryUnreadable(ILogger logger, string kind, string name, string field, string reason);

    [LoggerMessage(EventId = 2015, EventName = "ChainNotCompiled", Level = LogLevel.Error,
        Message = "The routing of {Service} cannot be compiled: {Kind} {Name}: {Reason}; the previous routing of {Service} stays in force")]
    public static partial void ChainNotCompiled(ILogger logger, string service, string kind, string name, string reason);

    [LoggerMessage(EventId = 2016, EventName = "UpstreamConfigNotApplied", Level = LogLevel.Error,
        Message = "The UpstreamConfig of service-defaults {Name} cannot be applied: {Reason}; the nodes of {Name} keep the upstream settings they had")]
    public static partial void UpstreamConfigNotApplied(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 2017, EventName = "UpstreamSettingIgnored", Level = LogLevel.Information,
        Message = "Part of the UpstreamConfig of service-defaults {Name} is not applied: {What}")]
    public static partial void UpstreamSettingIgnored(ILogger logger, string name, string what);
}
