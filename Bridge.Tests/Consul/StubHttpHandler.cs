namespace Bridge.Tests.Consul;

/// <summary>What the client sent, captured before the request object is disposed.</summary>
internal sealed record RecordedRequest(Uri Uri, IReadOnlyDictionary<string, string> Headers)
{
    public string Path => Uri.AbsolutePath;

    /// <summary>Query parameters by name; a bare flag such as <c>stale</c> maps to null.</summary>
    public IReadOnlyDictionary<string, string?> Query =>
        Uri.Query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : null);
}

/// <summary>An <see cref="HttpMessageHandler"/> that answers with whatever the test supplies.</summary>
internal sealed class StubHttpHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    public StubHttpHandler(Func<HttpResponseMessage> respond)
        : this((_, _) => Task.FromResult(respond()))
    {
    }

    public List<RecordedRequest> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(new RecordedRequest(
            request.RequestUri!,
            request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase)));
        return respond(request, cancellationToken);
    }

    public static HttpResponseMessage Json(string body, string? index = "1", HttpStatusCode status = HttpStatusCode.OK)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (index is not null)
        {
            response.Headers.TryAddWithoutValidation("X-Consul-Index", index);
        }

        return response;
    }

    public static HttpResponseMessage Text(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
}

/// <summary>
/// A non-seekable body stream (so no length is declared) that hands out its bytes in small reads and can
/// fail or stall part-way, as a dropped or hung connection would.
/// </summary>
internal sealed class ScriptedBodyStream(byte[] bytes, int failAfter = int.MaxValue, bool stallInsteadOfFailing = false) : Stream
{
    private int _position;

    public int BytesRead => _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (_position >= failAfter)
        {
            if (stallInsteadOfFailing)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }

            throw new IOException("Connection reset by peer");
        }

        var count = Math.Min(Math.Min(buffer.Length, 1024), Math.Min(bytes.Length, failAfter) - _position);
        bytes.AsMemory(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
