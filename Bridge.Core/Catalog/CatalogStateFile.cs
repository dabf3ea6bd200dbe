using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Bridge.Core.Catalog;

/// <summary>
/// The catalog saved to disk so a restart while Consul is unreachable still serves the last known state.
/// Writes are atomic (temporary file, fsync, rename); a corrupt or truncated file is reported and ignored.
/// </summary>
internal sealed class CatalogStateFile
{
    internal const int FormatVersion = 1;

    private readonly string _path;
    private readonly ILogger _logger;

    public CatalogStateFile(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
    }

    public string Path => _path;

    public void Save(CatalogSnapshot snapshot, DateTimeOffset now)
    {
        var file = new PersistedCatalog(
            FormatVersion,
            now,
            [.. snapshot.Services.Values.Select(s => new PersistedService(s.Name, s.Index, [.. s.Instances.Select(ToPersisted)]))]);
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
    public (ImmutableSortedDictionary<string, CatalogService> Services, DateTimeOffset SavedAt)? TryLoad()
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(_path);
            var file = JsonSerializer.Deserialize(stream, CatalogStateJsonContext.Default.PersistedCatalog);
            if (file is null || file.Version != FormatVersion || file.Services is null)
            {
                CatalogLog.StateFileUnusable(_logger, _path, $"format version {file?.Version} is not {FormatVersion}");
                return null;
            }

            var services = ImmutableSortedDictionary.CreateBuilder<string, CatalogService>(StringComparer.Ordinal);
            foreach (var service in file.Services)
            {
                if (string.IsNullOrEmpty(service.Name) || service.Instances is null)
                {
                    throw new JsonException("a service entry has no name or no instance list");
                }

                var instances = service.Instances.Select(i => FromPersisted(service.Name, i)).OrderBy(i => i.Key).ToImmutableArray();
                services[service.Name] = new CatalogService(service.Name, service.Index, instances);
            }

            return (services.ToImmutable(), file.SavedAt);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException)
        {
            CatalogLog.StateFileUnusable(_logger, _path, e.Message);
            return null;
        }
    }

    private static PersistedInstance ToPersisted(ServiceInstance i) => new(
        i.Key.Node, i.Key.ServiceId, i.Address, i.Port, i.Health, i.PassingWeight, i.WarningWeight, i.Datacenter,
        [.. i.Tags], i.Meta.ToDictionary(), i.NodeMeta.ToDictionary());

    private static ServiceInstance FromPersisted(string service, PersistedInstance i)
    {
        if (string.IsNullOrEmpty(i.Node) || string.IsNullOrEmpty(i.ServiceId) || i.Address is null)
        {
            throw new JsonException($"an instance of {service} has no node, service ID or address");
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
            Tags = [.. (i.Tags ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Meta = (i.Meta ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal),
            NodeMeta = (i.NodeMeta ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal),
        };
    }

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

internal sealed record PersistedCatalog(int Version, DateTimeOffset SavedAt, List<PersistedService>? Services);

internal sealed record PersistedService(string Name, ulong Index, List<PersistedInstance>? Instances);

internal sealed record PersistedInstance(
    string Node,
    string ServiceId,
    string Address,
    int Port,
    HealthState Health,
    int PassingWeight,
    int WarningWeight,
    string? Datacenter,
    List<string>? Tags,
    Dictionary<string, string>? Meta,
    Dictionary<string, string>? NodeMeta);

[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(PersistedCatalog))]
internal sealed partial class CatalogStateJsonContext : JsonSerializerContext;
