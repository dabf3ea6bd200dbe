namespace Bridge.Testing.Ads;

/// <summary>
/// The part both ADS clients share: one duplex call, a single-writer gate for requests, and a read loop that
/// stamps each response and hands it to a channel. Per-protocol state lives in the owning client, which is told
/// of each response on the read loop through <c>onResponse</c> before the response becomes readable.
/// </summary>
internal sealed class AdsStreamCore<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class
    where TResponse : class
{
    private readonly AsyncDuplexStreamingCall<TRequest, TResponse> _call;
    private readonly Channel<Received<TResponse>> _responses;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly TaskCompletionSource<Status> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<TResponse, ValueTask> _onResponse;
    private readonly Action<TRequest> _onFirstWrite;
    private bool _wroteFirst;
    private readonly string _description;
    private readonly Task _readLoop;
    private int _disposed;

    public AdsStreamCore(
        AsyncDuplexStreamingCall<TRequest, TResponse> call,
        Action<TRequest> onFirstWrite,
        Func<TResponse, ValueTask> onResponse,
        string description)
    {
        _call = call;
        _onFirstWrite = onFirstWrite;
        _onResponse = onResponse;
        _description = description;
        _responses = Channel.CreateUnbounded<Received<TResponse>>(new UnboundedChannelOptions
        {
            SingleWriter = true,
            AllowSynchronousContinuations = false,
        });
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public ChannelReader<Received<TResponse>> Responses => _responses.Reader;

    public Task<Status> Completion => _completion.Task;

    public async Task WriteAsync(TRequest request, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_wroteFirst)
            {
                // Only the first message of a stream needs the node; the server reads it from there.
                _onFirstWrite(request);
                _wroteFirst = true;
            }

            await _call.RequestStream.WriteAsync(request, ct).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public bool TryNext(out TResponse response)
    {
        if (_responses.Reader.TryRead(out var received))
        {
            response = received.Response;
            return true;
        }

        response = null!;
        return false;
    }

    public async ValueTask<Received<TResponse>> NextReceivedAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_responses.Reader.TryRead(out var ready))
        {
            return ready;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            while (await _responses.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
            {
                if (_responses.Reader.TryRead(out var received))
                {
                    return received;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No response on {_description} within {timeout.TotalSeconds:0.###} s.");
        }

        var status = await _completion.Task.ConfigureAwait(false);
        throw new RpcException(status, $"{_description} ended: {status.StatusCode} {status.Detail}");
    }

    private async Task ReadLoopAsync()
    {
        Status status;
        try
        {
            var stream = _call.ResponseStream;
            while (await stream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var response = stream.Current;
                var timestamp = Stopwatch.GetTimestamp();
                await _onResponse(response).ConfigureAwait(false);
                _responses.Writer.TryWrite(new Received<TResponse>(response, timestamp));
            }

            status = _call.GetStatus();
        }
        catch (RpcException e)
        {
            status = e.Status;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            status = new Status(StatusCode.Cancelled, e.Message);
        }
        catch (Exception e)
        {
            // Whatever broke the loop, readers must learn the stream is over rather than wait out their timeout.
            status = new Status(StatusCode.Unknown, $"the client's read loop failed: {e.Message}", e);
        }

        _completion.TrySetResult(status);
        _responses.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Cancelling the call ends the server's stream at once, as a crashed or restarted proxy would.
        _call.Dispose();
        await _readLoop.ConfigureAwait(false);
    }
}
