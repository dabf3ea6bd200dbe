using System.Threading.Channels;
using Bridge.Core.Xds;
using Grpc.Core;

namespace Bridge.Core.Ads;

/// <summary>
/// Reads a stream's requests into a short bounded queue and lets the stream's single serving loop wait for
/// either a request or a newer cache snapshot. A client that floods requests is paused by the queue; a client
/// that stops reading only stalls its own loop, which picks up the newest snapshot when it resumes.
/// </summary>
internal sealed class RequestPump<TRequest> : IAsyncDisposable
{
    private readonly Channel<TRequest> _queue;
    private readonly CancellationTokenSource _cts;
    private readonly Task _reader;
    private Task<bool>? _pendingRead;
    private static readonly Task Never = new TaskCompletionSource().Task;

    public RequestPump(IAsyncStreamReader<TRequest> requests, int capacity, CancellationToken ct)
    {
        _queue = Channel.CreateBounded<TRequest>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _reader = ReadAsync(requests, _cts.Token);
    }

    public bool TryRead(out TRequest request) => _queue.Reader.TryRead(out request!);

    /// <summary>
    /// Waits until a request is queued (true), a snapshot newer than <paramref name="generation"/> exists (true),
    /// or the client closed its side (false). Errors from reading the stream surface here.
    /// </summary>
    public async Task<bool> WaitAsync(XdsCache cache, long generation, CancellationToken ct, Task? alsoWakeOn = null)
    {
        _pendingRead ??= _queue.Reader.WaitToReadAsync(ct).AsTask();
        if (!_pendingRead.IsCompleted)
        {
            await Task.WhenAny(_pendingRead, cache.WaitForNewerAsync(generation, ct), alsoWakeOn ?? Never).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }

        if (!_pendingRead.IsCompleted)
        {
            return true;
        }

        var more = await _pendingRead.ConfigureAwait(false);
        _pendingRead = null;
        return more;
    }

    private async Task ReadAsync(IAsyncStreamReader<TRequest> requests, CancellationToken ct)
    {
        try
        {
            while (await requests.MoveNext(ct).ConfigureAwait(false))
            {
                await _queue.Writer.WriteAsync(requests.Current, ct).ConfigureAwait(false);
            }

            _queue.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _queue.Writer.TryComplete(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(false);
        _cts.Dispose();
    }
}
