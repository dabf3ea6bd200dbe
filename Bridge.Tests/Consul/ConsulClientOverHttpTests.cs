using System.IO.Compression;
using Bridge.Core.Consul;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Bridge.Tests.Consul;

/// <summary>
/// What only a real socket shows: gzip decoded by the HTTP handler (Consul wraps answers in a gzip handler)
/// and a connection that really drops part-way through a body.
/// </summary>
public sealed class ConsulClientOverHttpTests
{
    private const string ServicesBody = """{"consul":[],"web":["primary"]}""";
    private static readonly QueryOptions FirstRead = new(0, TimeSpan.FromMinutes(5));

    private WebApplication _server = null!;
    private Uri _address = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.Run(async context =>
        {
            context.Response.Headers["X-Consul-Index"] = "17";
            context.Response.ContentType = "application/json";
            switch (context.Request.Path.Value)
            {
                case "/v1/catalog/services":
                    await WriteGzipAsync(context, Encoding.UTF8.GetBytes(ServicesBody));
                    break;

                case "/v1/health/service/bomb":
                    // 4 MB of JSON that compresses to a few KB: the size limit must count decoded bytes.
                    await WriteGzipAsync(context, Encoding.UTF8.GetBytes("[" + new string(' ', 4 * 1024 * 1024) + "]"));
                    break;

                case "/v1/health/service/badgzip":
                    // Declared gzip, but the bytes do not inflate: a broken proxy in front of Consul.
                    context.Response.Headers.ContentEncoding = "gzip";
                    await context.Response.Body.WriteAsync("this is not gzip at all, not even close"u8.ToArray());
                    break;

                case "/v1/health/service/drop":
                    var body = Encoding.UTF8.GetBytes("""[{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"s1","Port":80},"Checks":[]}]""");
                    context.Response.ContentLength = body.Length;
                    await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
                    await context.Response.Body.FlushAsync();
                    context.Abort();
                    break;

                default:
                    context.Response.StatusCode = 404;
                    break;
            }
        });
        await _server.StartAsync();
        var addresses = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        _address = new Uri(addresses.Single());
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Gzip_encoded_answer_is_decoded_when_the_handler_decompresses()
    {
        var client = Client(new ConsulOptions());

        var result = await client.GetServicesAsync(FirstRead, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(result.Value.Keys, Is.EquivalentTo(new[] { "consul", "web" }));
            Assert.That(result.Index, Is.EqualTo(17UL));
        });
    }

    [Test]
    public void Size_limit_counts_decompressed_bytes_not_the_compressed_length()
    {
        var client = Client(new ConsulOptions { MaxResponseBytes = 64 * 1024 });

        var error = Assert.ThrowsAsync<ConsulException>(
            () => client.GetHealthServiceAsync("bomb", FirstRead, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Message, Does.Contain("MaxResponseBytes"));
        });
    }

    [Test]
    public void Body_that_does_not_inflate_is_a_bad_response_not_a_crash()
    {
        var client = Client(new ConsulOptions());

        var error = Assert.ThrowsAsync<ConsulException>(
            () => client.GetHealthServiceAsync("badgzip", FirstRead, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Message, Does.Contain("/v1/health/service").And.Contain("decompress"));
        });
    }

    [Test]
    public void Connection_closed_part_way_through_the_body_is_unreachable()
    {
        var client = Client(new ConsulOptions());

        var error = Assert.ThrowsAsync<ConsulException>(
            () => client.GetHealthServiceAsync("drop", FirstRead, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
            Assert.That(error.Endpoint, Is.EqualTo("/v1/health/service"));
        });
    }

    private ConsulClient Client(ConsulOptions options)
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip };
        return new ConsulClient(new HttpClient(handler) { BaseAddress = _address }, options);
    }

    private static async Task WriteGzipAsync(HttpContext context, byte[] body)
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            await gzip.WriteAsync(body);
        }

        context.Response.Headers.ContentEncoding = "gzip";
        context.Response.ContentLength = compressed.Length;
        await context.Response.Body.WriteAsync(compressed.ToArray());
    }
}
