using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Bridge.Testing.Security;

namespace Bridge.LoadTest.Measurement;

/// <summary>
/// The floor of cold start: the harness itself reads the service list and every service's health once, with as many
/// queries in flight as the bridge allows itself, over the same protocol. No client of this agent can know the whole
/// catalog sooner.
/// </summary>
internal static class CatalogReadFloor
{
    public static async Task<TimeSpan> MeasureAsync(Uri agent, X509Certificate2? ca, IEnumerable<string> services, int concurrency, CancellationToken ct)
    {
        var handler = LoopbackSources.Handler(LoopbackSources.Probe);
        handler.AutomaticDecompression = DecompressionMethods.All;
        handler.MaxConnectionsPerServer = concurrency;
        handler.EnableMultipleHttp2Connections = true;
        if (ca is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = PrivateRoots.ServerCheck([ca]) };
        }

        using var http = new HttpClient(handler)
        {
            BaseAddress = agent,
            DefaultRequestVersion = ca is null ? HttpVersion.Version11 : HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = TimeSpan.FromMinutes(2),
        };
        using var slots = new SemaphoreSlim(concurrency);
        var clock = Stopwatch.StartNew();
        using (var list = await http.GetAsync("/v1/catalog/services", ct).ConfigureAwait(false))
        {
            list.EnsureSuccessStatusCode();
            await list.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        }

        await Task.WhenAll(services.Select(async service =>
        {
            await slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                using var response = await http.GetAsync("/v1/health/service/" + service, ct).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);
        return clock.Elapsed;
    }
}
