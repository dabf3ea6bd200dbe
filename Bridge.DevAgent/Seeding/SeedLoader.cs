using Bridge.DevAgent.ConfigEntries;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Seeding;

/// <summary>Registers the contents of a <see cref="SeedFile"/>; any invalid entry fails the whole load with its position.</summary>
internal static class SeedLoader
{
    public static async Task<int> LoadAsync(DevAgentServer server, string path, CancellationToken ct)
    {
        SeedFile seed;
        try
        {
            await using var stream = File.OpenRead(path);
            seed = (SeedFile?)await JsonSerializer.DeserializeAsync(stream, typeof(SeedFile), DevAgentJsonContext.Default, ct)
                ?? new SeedFile();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Seed file {path} is not valid JSON: {ex.Message}", ex);
        }

        var count = 0;
        foreach (var (datacenter, i) in (seed.Datacenters ?? []).Select((d, i) => (d, i)))
        {
            try
            {
                server.AddDatacenter(datacenter);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"Seed file {path}, Datacenters[{i}]: {ex.Message}", ex);
            }
        }

        var catalog = server.Catalog;
        foreach (var (service, i) in (seed.Services ?? []).Select((s, i) => (s, i)))
        {
            Apply(path, $"Services[{i}]", () => catalog.RegisterAgentService(service));
            count++;
        }

        foreach (var (entry, i) in (seed.Catalog ?? []).Select((e, i) => (e, i)))
        {
            Apply(path, $"Catalog[{i}]", () => catalog.RegisterCatalogEntry(entry));
            count++;
        }

        foreach (var (body, i) in (seed.ConfigEntries ?? []).Select((e, i) => (e, i)))
        {
            Apply(path, $"ConfigEntries[{i}]", () => catalog.ApplyConfigEntry(ConfigEntryDecoder.Decode(body)));
            count++;
        }

        return count;
    }

    private static void Apply(string path, string position, Action register)
    {
        try
        {
            register();
        }
        catch (DevAgentException ex)
        {
            throw new InvalidDataException($"Seed file {path}, {position}: {ex.Message}", ex);
        }
    }
}
