using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul;
using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Core.Catalog;

/// <summary>A catalog read back from the state file.</summary>
internal sealed record SavedCatalog(
    ImmutableSortedDictionary<string, CatalogService> Services,
    ImmutableSortedDictionary<string, long> Departed,
    DateTimeOffset SavedAt)
{
    /// <summary>The routing saved with the catalog; null in a file without any.</summary>
    public SavedRouting? Routing { get; init; }
}

/// <summary>
/// The catalog saved to disk so a restart while Consul is unreachable still serves the last known state.
/// Writes are atomic (temporary file, fsync, rename). The file records where its catalog came from (its
/// <c>identity</c>: Consul address, datacenter and watch filters): a file from another identity, one older than the
/// maximum age, or one that is malformed in any way is reported and ignored, never served and never a crash.
/// </summary>
internal sealed class CatalogStateFile
{
    internal const int FormatVersion = 2;

    private readonly string _path;
    private readonly string _identity;
    private readonly ILogger _logger;

    /// <param name="identity">Where the catalog comes from, in words an operator can compare (see the class summary).</param>
    public CatalogStateFile(string path, string identity, ILogger logger)
    {
        _path = path;
        _identity = identity;
        _logger = logger;
    }

    public string Path => _path;

    /// <summary>
    /// Where a catalog comes from: the Consul address (scheme and host lower-cased), the datacenter asked for, and the
    /// watch filters. A file saved under another identity describes another catalog.
    /// </summary>
    public static string IdentityOf(Bridge.Core.Consul.ConsulOptions options)
    {
        var address = Uri.TryCreate(options.Address, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}:{uri.Port}{uri.AbsolutePath.TrimEnd('/')}"
            : options.Address;
        static string List(IReadOnlyList<string> items) => "[" + string.Join(",", items.Order(StringComparer.Ordinal)) + "]";
        return $"Consul {address} datacenter {(string.IsNullOrEmpty(options.Datacenter) ? "(the agent's)" : options.Datacenter)}"
            + $" services {List(options.IncludeServices)} except {List(options.ExcludeServices)}"
            + $" tags {List(options.IncludeTags)} except {List(options.ExcludeTags)}";
    }

    public void Save(CatalogSnapshot snapshot, DateTimeOffset now)
    {
        var file = new PersistedCatalog(
            FormatVersion,
            now,
            _identity,
            [.. snapshot.Services.Values.Select(s => new PersistedService(s.Name, s.Index, [.. s.Instances.Select(ToPersisted)]))],
            [.. snapshot.Departed.OrderBy(d => d.Value).Select(d => d.Key)])
        {
            Routing = ToPersisted(snapshot.Routing),
        };
        var temp = _path + ".tmp";
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                JsonSerializer.Serialize(stream, file, CatalogStateJsonContext.Default.PersistedCatalog);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CatalogLog.StateFileWriteFailed(_logger, _path, e.Message);
            TryDelete(temp);
        }
    }

    /// <summary>Reads the saved catalog, or returns null (and says why) when there is none or it cannot be used.</summary>
    /// <param name="maxAge">A file saved longer ago than this is not served.</param>
    public SavedCatalog? TryLoad(DateTimeOffset now, TimeSpan maxAge)
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        try
        {
            PersistedCatalog? file;
            using (var stream = File.OpenRead(_path))
            {
                file = JsonSerializer.Deserialize(stream, CatalogStateJsonContext.Default.PersistedCatalog);
            }

            var problem = file switch
            {
                null => "the file holds JSON null",
                { Version: not FormatVersion } => $"format version {file.Version} is not {FormatVersion}",
                { Identity: null } => "it records no identity",
                _ when file.Identity != _identity => $"it was saved for {file.Identity}, and this bridge reads {_identity}",
                _ when now - file.SavedAt > maxAge => $"it was saved at {file.SavedAt:o}, more than State:MaxAge ({maxAge}) ago",
                _ when file.SavedAt > now + TimeSpan.FromMinutes(5) => $"it claims to be saved at {file.SavedAt:o}, in the future",
                { Services: null } => "it has no service list",
                _ => null,
            };
            if (problem is not null)
            {
                CatalogLog.StateFileUnusable(_logger, _path, problem);
                return null;
            }

            var services = ImmutableSortedDictionary.CreateBuilder<string, CatalogService>(StringComparer.Ordinal);
            foreach (var service in file!.Services!)
            {
                if (service is null || string.IsNullOrEmpty(service.Name) || service.Instances is null)
                {
                    throw new InvalidDataException("a service entry is null, or has no name or no instance list");
                }

                if (services.ContainsKey(service.Name))
                {
                    throw new InvalidDataException($"service {service.Name} is listed twice");
                }

                var instances = service.Instances.Select(i => FromPersisted(service.Name, i)).OrderBy(i => i.Key).ToImmutableArray();
                if (instances.Select(i => i.Key).Distinct().Count() != instances.Length)
                {
                    throw new InvalidDataException($"service {service.Name} lists an instance twice");
                }

                services[service.Name] = new CatalogService(service.Name, service.Index, instances);
            }

            var departed = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
            foreach (var name in (file.Departed ?? []).Where(n => !string.IsNullOrEmpty(n) && !services.ContainsKey(n)).TakeLast(CatalogSnapshot.MaxDeparted))
            {
                departed[name] = departed.Count + 1;
            }

            return new SavedCatalog(services.ToImmutable(), departed.ToImmutable(), file.SavedAt) { Routing = FromPersisted(file.Routing) };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever is wrong with a cache file, the bridge starts without it.
            CatalogLog.StateFileUnusable(_logger, _path, e.Message);
            return null;
        }
    }

    private static PersistedRouting? ToPersisted(CatalogRouting routing) =>
        routing.LocalDatacenter.Length == 0 ? null : new PersistedRouting(
            routing.LocalDatacenter,
            [.. routing.Lists.Select(l => new PersistedEntries(l.Kind.ApiName(), Json(l.Body)))],
            [.. routing.Targets.Select(t => new PersistedTarget(t.Key.Service, t.Key.Datacenter, t.Key.Filter, t.Value.Index, [.. t.Value.Instances.Select(ToPersisted)]))]);

    private static JsonElement Json(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body.IsEmpty ? "[]"u8.ToArray() : body);
        return document.RootElement.Clone();
    }

    private static SavedRouting? FromPersisted(PersistedRouting? routing)
    {
        if (routing is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(routing.Datacenter) || routing.Entries is null || routing.Targets is null)
        {
            throw new InvalidDataException("its routing has no datacenter, entry lists or targets");
        }

        var lists = ImmutableArray.CreateBuilder<ConfigEntryList>();
        foreach (var entries in routing.Entries)
        {
            var kind = ConfigEntryKinds.All.Where(k => k.ApiName() == entries?.Kind).Select(k => (ConfigEntryKind?)k).SingleOrDefault()
                ?? throw new InvalidDataException($"its routing lists config entries of an unknown kind {entries?.Kind}");
            lists.Add(ConfigEntryDecoder.Decode(kind, System.Text.Encoding.UTF8.GetBytes(entries!.Body.GetRawText())));
        }

        var targets = ImmutableSortedDictionary.CreateBuilder<HealthQuery, CatalogService>();
        foreach (var target in routing.Targets)
        {
            if (target is null || string.IsNullOrEmpty(target.Service) || target.Instances is null)
            {
                throw new InvalidDataException("a routing target is null, or has no service or no instance list");
            }

            var query = new HealthQuery(target.Service, target.Datacenter ?? "", target.Filter ?? "");
            targets[query] = new CatalogService(target.Service, target.Index, [.. target.Instances.Select(i => FromPersisted(target.Service, i)).OrderBy(i => i.Key)]);
        }

        return new SavedRouting(routing.Datacenter, lists.ToImmutable(), targets.ToImmutable());
    }

    private static PersistedInstance ToPersisted(ServiceInstance i) => new(
        i.Key.Node, i.Key.ServiceId, i.Address, i.Port, i.Health, i.PassingWeight, i.WarningWeight, i.Datacenter,
        [.. i.Tags], i.Meta.ToDictionary(), i.NodeMeta.ToDictionary())
    {
        WanAddress = i.WanAddress.Length > 0 ? i.WanAddress : null,
        WanPort = i.WanPort,
    };

    private static ServiceInstance FromPersisted(string service, PersistedInstance? i)
    {
        if (i is null || string.IsNullOrEmpty(i.Node) || string.IsNullOrEmpty(i.ServiceId) || i.Address is null)
        {
            throw new InvalidDataException($"an instance of {service} is null, or has no node, service ID or address");
        }

        if (!Enum.IsDefined(i.Health))
        {
            throw new InvalidDataException($"instance {i.Node}/{i.ServiceId} of {service} has an unknown health {(int)i.Health}");
        }

        return new ServiceInstance
        {
            Service = service,
            Key = new InstanceKey(i.Node, i.ServiceId),
            Address = i.Address,
            Port = i.Port,
            Health = i.Health,
            PassingWeight = i.PassingWeight,
            WarningWeight = i.WarningWeight,
            Datacenter = i.Datacenter ?? "",
            WanAddress = i.WanAddress ?? "",
            WanPort = i.WanPort,
            Tags = [.. (i.Tags ?? []).Where(t => t is not null).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Meta = Sorted(i.Meta),
            NodeMeta = Sorted(i.NodeMeta),
        };
    }

    private static ImmutableSortedDictionary<string, string> Sorted(Dictionary<string, string>? map) =>
        (map ?? []).Where(kv => kv.Value is not null).ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record PersistedCatalog(int Version, DateTimeOffset SavedAt, string? Identity, List<PersistedService?>? Services, List<string>? Departed)
{
    public PersistedRouting? Routing { get; init; }
}

/// <summary>The config entry lists as Consul answered them, and the target reads routing needs.</summary>
internal sealed record PersistedRouting(string Datacenter, List<PersistedEntries?>? Entries, List<PersistedTarget?>? Targets);

internal sealed record PersistedEntries(string Kind, JsonElement Body);

internal sealed record PersistedTarget(string Service, string? Datacenter, string? Filter, ulong Index, List<PersistedInstance?>? Instances);

internal sealed record PersistedService(string Name, ulong Index, List<PersistedInstance?>? Instances);

internal sealed record PersistedInstance(
    string Node,
    string ServiceId,
    string Address,
    long Port,
    HealthState Health,
    long PassingWeight,
    long WarningWeight,
    string? Datacenter,
    List<string>? Tags,
    Dictionary<string, string>? Meta,
    Dictionary<string, string>? NodeMeta)
{
    public string? WanAddress { get; init; }

    public long WanPort { get; init; }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(PersistedCatalog))]
internal sealed partial class CatalogStateJsonContext : JsonSerializerContext;
