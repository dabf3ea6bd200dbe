namespace Bridge.Core.Xds;

/// <summary>
/// Wakes one stream's serving loop. A <see cref="Set"/> while the loop is busy is remembered, so the next
/// <see cref="WaitAsync"/> returns at once: no wake-up is ever lost, and many become one.
/// </summary>
internal sealed class WakeSignal
{
    private readonly object _gate = new();
    private bool _pending;
    private TaskCompletionSource? _waiter;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _pending = waiter is null;
        }

        // Continuations run on the thread pool: the caller (the cache publishing a snapshot) never runs a stream's code.
        waiter?.TrySetResult();
    }

    /// <summary>Whether a wake-up is waiting to be taken by the next <see cref="WaitAsync"/>.</summary>
    public bool IsPending
    {
        get
        {
            lock (_gate)
            {
                return _pending;
            }
        }
    }

    public Task WaitAsync()
    {
        lock (_gate)
        {
            if (_pending)
            {
                _pending = false;
                return Task.CompletedTask;
            }

            return (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
