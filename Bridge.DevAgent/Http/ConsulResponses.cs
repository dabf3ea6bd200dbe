using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Writes responses the way Consul's HTTP server does: JSON bodies as <c>application/json</c>, error
/// text as Go's sniffed <c>text/plain; charset=utf-8</c>. Successful <c>/v1</c> JSON passes through the
/// body faults here.
/// </summary>
internal sealed class ConsulResponses(FaultKnobs faults, RequestMetrics metrics)
{
    private const long DefaultOversizedBytes = 16 * 1024 * 1024;
    private static readonly byte[] Padding = Enumerable.Repeat((byte)' ', 64 * 1024).ToArray();

    public Task WriteErrorAsync(HttpContext context, int status, string body)
    {
        if (status == StatusCodes.Status429TooManyRequests)
        {
            metrics.CountTooManyRequests();
        }

        context.Response.StatusCode = status;
        if (body.Length == 0)
        {
            return Task.CompletedTask;
        }

        return WriteTextAsync(context, "text/plain; charset=utf-8", body);
    }

    /// <summary>A whole text body with its length, as Go's server sends a small handler response.</summary>
    public static Task WriteTextAsync(HttpContext context, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    public Task WriteErrorAsync(HttpContext context, DevAgentException error) =>
        WriteErrorAsync(context, error.StatusCode, error.Message);

    public async Task WriteJsonAsync<T>(HttpContext context, T value)
    {
        var pretty = context.Request.Query.ContainsKey("pretty");
        var body = JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), ConfigEntryJsonContext.For(typeof(T), pretty));
        if (pretty)
        {
            body = [.. body, (byte)'\n'];
        }

        var response = context.Response;
        response.ContentType = "application/json";
        var path = context.Request.Path.Value ?? string.Empty;
        metrics.CountResponseBytes(RequestKinds.Of(path), body.Length);
        var fault = path.StartsWith("/v1/", StringComparison.Ordinal) ? faults.TakeBody(path) : null;
        var ct = context.RequestAborted;
        switch (fault?.Kind)
        {
            case null:
                await WriteAllAsync(response, body, ct);
                break;
            case BodyFaultKind.Truncated:
                await WriteAllAsync(response, BodyCorruption.Truncated(body), ct);
                break;
            case BodyFaultKind.Garbage:
                await WriteAllAsync(response, BodyCorruption.Garbage, ct);
                break;
            case BodyFaultKind.WrongTypes:
                await WriteAllAsync(response, BodyCorruption.WrongTypes(body), ct);
                break;
            case BodyFaultKind.Oversized:
                await WriteOversizedAsync(response, body, fault.SizeBytes ?? DefaultOversizedBytes, ct);
                break;
            case BodyFaultKind.DropMidBody:
                // Promise the whole body and stop halfway: Kestrel then closes the connection after
                // what was sent, so the client always reads the headers and half the JSON before the cut.
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), ct);
                await response.Body.FlushAsync(ct);
                break;
        }
    }

    private static async Task WriteAllAsync(HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, ct);
    }

    // Whitespace after the opening bracket keeps the JSON's meaning and only grows its size.
    private static async Task WriteOversizedAsync(HttpResponse response, byte[] body, long size, CancellationToken ct)
    {
        var padding = Math.Max(0, size - body.Length);
        response.ContentLength = body.Length + padding;
        await response.Body.WriteAsync(body.AsMemory(0, 1), ct);
        while (padding > 0)
        {
            var chunk = (int)Math.Min(padding, Padding.Length);
            await response.Body.WriteAsync(Padding.AsMemory(0, chunk), ct);
            padding -= chunk;
        }

        await response.Body.WriteAsync(body.AsMemory(1), ct);
    }
}
