using Bridge.Core.Xds;
using Grpc.Core;

namespace Bridge.Core.Ads;

/// <summary>
/// Reads a stream's requests into a short bounded queue and wakes the stream's single serving loop, through the
/// same <see cref="WakeSignal"/> the cache uses for snapshots that concern the stream. A client that floods requests
/// is paused by the queue; a client that stops reading only stalls its own loop, which picks up the newest
/// snapshot when it resumes.
/// </summary>
internal sealed class RequestPump<TRequest> : IAsyncDisposable
{
    private readonly Channel<TRequest> _queue;
    private readonly WakeSignal _wake;
    private readonly CancellationTokenSource _cts;
    private readonly CancellationTokenRegistration _wakeOnCancel;
    private readonly Task _reader;

    public RequestPump(IAsyncStreamReader<TRequest> requests, int capacity, WakeSignal wake, CancellationToken ct)
    {
        _queue = Channel.CreateBounded<TRequest>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleWriter = true,
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _wake = wake;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _wakeOnCancel = _cts.Token.Register(static state => ((WakeSignal)state!).Set(), wake);
        _reader = ReadAsync(requests, _cts.Token);
    }

    public bool TryRead(out TRequest request) => _queue.Reader.TryRead(out request!);

    /// <summary>
    /// Waits until a request is queued or the signal is set (true: a snapshot may concern the stream), or the
    /// client closed its side (false). Errors from reading the stream surface here.
    /// </summary>
    public async Task<bool> WaitAsync(CancellationToken ct, Task? alsoWakeOn = null)
    {
        if (_queue.Reader.Count == 0 && !_queue.Reader.Completion.IsCompleted)
        {
            var woken = _wake.WaitAsync();
            await (alsoWakeOn is null ? woken : Task.WhenAny(woken, alsoWakeOn)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }

        if (_queue.Reader.Count == 0 && _queue.Reader.Completion.IsCompleted)
        {
            await _queue.Reader.Completion.ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private async Task ReadAsync(IAsyncStreamReader<TRequest> requests, CancellationToken ct)
    {
        try
        {
            while (await requests.MoveNext(ct).ConfigureAwait(false))
            {
                await _queue.Writer.WriteAsync(requests.Current, ct).ConfigureAwait(false);
                _wake.Set();
            }

            _queue.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _queue.Writer.TryComplete(e);
        }

        _wake.Set();
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(false);
        await _wakeOnCancel.DisposeAsync().ConfigureAwait(false);
        _cts.Dispose();
    }
}
