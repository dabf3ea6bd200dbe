using Bridge.DevAgent;

namespace Bridge.LoadTest.Scenarios;

/// <summary>
/// <c>consul-cost</c>: the size of the answers each design reads per change. One blocking query per service reads
/// that service's answer when it changes; a change feed on <c>/v1/health/state/any</c> reads every check of the
/// datacenter at each change, then the changed services.
/// </summary>
internal static class ConsulBodies
{
    public static async Task<List<ConsulBodySizes>> MeasureAsync(IReadOnlyList<(int Services, int Instances)> sizes, Action<string> print, CancellationToken ct)
    {
        var rows = new List<ConsulBodySizes>();
        foreach (var (services, instances) in sizes)
        {
            print($"consul-cost: seeding {services:N0} services x {instances}");
            var catalog = new SyntheticCatalog(services, instances, SyntheticCatalog.DefaultNodes(services, instances));
            await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0", MaxConnsPerClient = 0 }, ct).ConfigureAwait(false);
            catalog.Seed(agent.Catalog);
            using var plain = new HttpClient { BaseAddress = agent.Address, Timeout = TimeSpan.FromMinutes(5) };
            using var gzip = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = agent.Address, Timeout = TimeSpan.FromMinutes(5) };
            gzip.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");

            async Task<(long Json, long Gzip, double Ms)> SizeAsync(string path)
            {
                var json = (await plain.GetByteArrayAsync(path, ct).ConfigureAwait(false)).LongLength;
                var fastest = double.MaxValue;
                long zipped = 0;
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var clock = Stopwatch.StartNew();
                    zipped = (await gzip.GetByteArrayAsync(path, ct).ConfigureAwait(false)).LongLength;
                    fastest = Math.Min(fastest, clock.Elapsed.TotalMilliseconds);
                }

                return (json, zipped, fastest);
            }

            var service = await SizeAsync("/v1/health/service/" + catalog.ServiceName(services / 2)).ConfigureAwait(false);
            var list = await SizeAsync("/v1/catalog/services").ConfigureAwait(false);
            var state = await SizeAsync("/v1/health/state/any").ConfigureAwait(false);
            var row = new ConsulBodySizes(
                services, instances, catalog.Instances, catalog.Instances, service.Json, service.Gzip, list.Json, list.Gzip, state.Json, state.Gzip, state.Ms);
            print(Line(row));
            rows.Add(row);
        }

        return rows;
    }

    public static string Render(IReadOnlyList<ConsulBodySizes> rows)
    {
        var text = new StringBuilder("== consul-cost: JSON (gzip) bytes of each answer\n");
        foreach (var row in rows)
        {
            text.AppendLine(Line(row));
        }

        return text.ToString().TrimEnd();
    }

    private static string Line(ConsulBodySizes r) => string.Create(CultureInfo.InvariantCulture,
        $"   {r.Services:N0} x {r.InstancesPerService} = {r.Instances:N0} instances: one service {r.HealthServiceBytes:N0} ({r.HealthServiceGzipBytes:N0}) B, " +
        $"service list {r.ServiceListBytes:N0} ({r.ServiceListGzipBytes:N0}) B, /v1/health/state/any {r.StateAnyBytes:N0} ({r.StateAnyGzipBytes:N0}) B " +
        $"= {r.StateAnyBytes / (double)r.Checks:0} B per check, served in {r.StateAnyMilliseconds:0} ms");
}
