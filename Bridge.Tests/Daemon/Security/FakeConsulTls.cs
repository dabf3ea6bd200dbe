using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Bridge.Tests.Daemon.Security;

/// <summary>
/// Consul's HTTPS listener as far as the bridge's TLS needs it: HTTP/2 (or only HTTP/1.1), an optional client
/// certificate requirement (<c>verify_incoming</c>), and <c>/v1/catalog/services</c> with blocking queries. It records
/// the protocol of each request, the connections they came on and the server names clients asked for.
/// </summary>
internal sealed class FakeConsulTls : IAsyncDisposable
{
    private const ulong Index = 5;

    private readonly WebApplication _app;

    private FakeConsulTls(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"https://127.0.0.1:{Port}";

    public ConcurrentQueue<string> Protocols { get; } = new();

    public ConcurrentDictionary<string, int> Connections { get; } = new();

    public ConcurrentQueue<string> ServerNames { get; } = new();

    public ConcurrentQueue<string> Tokens { get; } = new();

    /// <param name="certificate">The server's certificate and key files.</param>
    /// <param name="clientCa">When set, clients must present a certificate this CA signed.</param>
    public static async Task<FakeConsulTls> StartAsync((string CertFile, string KeyFile) certificate, X509Certificate2? clientCa = null, bool http2 = true)
    {
        var serverCertificate = TestPki.Load(certificate);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        FakeConsulTls? self = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (_, name) =>
                {
                    self?.ServerNames.Enqueue(name ?? "");
                    return serverCertificate;
                },
                ClientCertificateMode = clientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (presented, _, _) => PrivateRoots.Chains(presented, clientCa!),
            });
        }));

        var app = builder.Build();
        app.MapGet("/v1/catalog/services", async (HttpContext context) =>
        {
            self!.Protocols.Enqueue(context.Request.Protocol);
            self.Connections.AddOrUpdate(context.Connection.Id, 1, (_, n) => n + 1);
            self.Tokens.Enqueue(context.Request.Headers["X-Consul-Token"].ToString());
            if (ulong.TryParse(context.Request.Query["index"], CultureInfo.InvariantCulture, out var index) && index >= Index)
            {
                var wait = context.Request.Query["wait"].ToString().TrimEnd('s', 'm');
                await Task.Delay(TimeSpan.FromMilliseconds(double.Parse(wait, CultureInfo.InvariantCulture)), context.RequestAborted);
            }

            context.Response.Headers["X-Consul-Index"] = Index.ToString(CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"consul":[],"web":["http"]}""");
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.Single()).Port;
        self = new FakeConsulTls(app, port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
