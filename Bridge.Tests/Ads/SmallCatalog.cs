namespace Bridge.Tests.Ads;

/// <summary>The catalog the discovery tests serve: web, api and db with one instance each, and a second web instance to add.</summary>
internal static class SmallCatalog
{
    public static TestInstance Web1 => new("10.0.0.1", 8080);

    public static TestInstance Web2 => new("10.0.0.2", 8080);

    public static TestInstance Api1 => new("10.0.1.1", 9090);

    public static TestInstance Db1 => new("10.0.2.1", 5432);

    /// <summary>A bridge fed by the test, synced with web, api and db.</summary>
    public static async Task<InProcessBridge> StartSyncedAsync()
    {
        var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [Web1]), ("api", [Api1]), ("db", [Db1]));
        return server;
    }
}
