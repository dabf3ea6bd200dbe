using System.Text.Json.Serialization;

namespace Bridge.LoadTest.Catalog;

/// <summary>
/// A run's catalog as a seed file for the dev agent (<c>Bridge.DevAgent --seed</c>): the same registrations the
/// harness makes before a run, so that other tests can serve exactly the catalogs the harness measures.
/// </summary>
internal static class CatalogSeedFile
{
    public static async Task WriteAsync(SyntheticCatalog catalog, string path, CancellationToken ct)
    {
        var registrations = new List<CatalogRegistration>(catalog.Instances);
        for (var s = 0; s < catalog.Services; s++)
        {
            for (var i = 0; i < catalog.InstancesPerService; i++)
            {
                registrations.Add(catalog.Registration(s, i, SyntheticCatalog.BasePort, withCheck: true));
            }
        }

        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, new SeedDocument(registrations), SeedJsonContext.Default.SeedDocument, ct).ConfigureAwait(false);
    }
}

/// <summary>The part of the dev agent's seed file the harness writes: catalog registrations.</summary>
internal sealed record SeedDocument(IReadOnlyList<CatalogRegistration> Catalog);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SeedDocument))]
internal sealed partial class SeedJsonContext : JsonSerializerContext;
