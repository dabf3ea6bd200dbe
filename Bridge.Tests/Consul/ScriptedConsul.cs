namespace Bridge.Tests.Consul;

/// <summary>
/// A Consul agent whose every answer the test gives by hand. A request nobody answers blocks, as a blocking
/// query does, until the client gives up on it.
/// </summary>
internal sealed class ScriptedConsul : HttpMessageHandler
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, Channel<PendingRequest>> _byPath = new(StringComparer.Ordinal);

    /// <summary>The next request the client makes to <paramref name="path"/>, in order.</summary>
    public async Task<PendingRequest> NextAsync(string path)
    {
        try
        {
            return await Requests(path).Reader.ReadAsync().AsTask().WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no request to {path} within {Patience.TotalSeconds} s");
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(new RecordedRequest(
            request.RequestUri!,
            request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase)));
        Requests(request.RequestUri!.AbsolutePath).Writer.TryWrite(pending);
        try
        {
            return await pending.Response.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            pending.Abandoned.TrySetResult();
            throw;
        }
    }

    private Channel<PendingRequest> Requests(string path) => _byPath.GetOrAdd(path, _ => Channel.CreateUnbounded<PendingRequest>());
}

/// <summary>One request waiting for the test to answer it.</summary>
internal sealed class PendingRequest(RecordedRequest request)
{
    public RecordedRequest Request { get; } = request;

    public TaskCompletionSource<HttpResponseMessage> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the client cancels the request.</summary>
    public TaskCompletionSource Abandoned { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ulong? Index => Request.Query.TryGetValue("index", out var index) ? ulong.Parse(index!, System.Globalization.CultureInfo.InvariantCulture) : null;

    public void Respond(HttpResponseMessage response) => Response.TrySetResult(response);

    public void Json(string body, ulong index) => Respond(StubHttpHandler.Json(body, index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
