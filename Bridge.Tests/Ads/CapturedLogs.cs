using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Ads;

/// <summary>One log event as the bridge wrote it, with its named fields.</summary>
internal sealed record LogEntry(long Sequence, string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, string> Fields)
{
    public string this[string field] => Fields.TryGetValue(field, out var value) ? value : "";

    public override string ToString() => $"#{Sequence} {Level} {EventId.Id} {Message}";
}

/// <summary>
/// A logging provider that keeps the bridge's own events (categories <c>Bridge.*</c>) and lets a test await one.
/// Because a stream handles its requests in order, awaiting the event a request causes (an ACK, a NACK, a stale
/// nonce) proves every earlier request of that stream has been applied: tests use that as a barrier instead of
/// sleeping.
/// </summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly object _gate = new();
    private readonly List<LogEntry> _entries = [];
    private readonly List<(long After, Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>A position in the log; <see cref="WaitForAsync"/> with it only matches events written after now.</summary>
    public long Mark()
    {
        lock (_gate)
        {
            return _entries.Count;
        }
    }

    public async Task<LogEntry> WaitForAsync(int eventId, Func<LogEntry, bool> match, TimeSpan timeout, long after = 0)
    {
        TaskCompletionSource<LogEntry> done;
        lock (_gate)
        {
            for (var i = (int)after; i < _entries.Count; i++)
            {
                if (_entries[i].EventId.Id == eventId && match(_entries[i]))
                {
                    return _entries[i];
                }
            }

            done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((after, e => e.EventId.Id == eventId && match(e), done));
        }

        try
        {
            return await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No log event {eventId} matching within {timeout.TotalSeconds} s. Logged:{Environment.NewLine}"
                + string.Join(Environment.NewLine, Entries.Skip((int)after)));
        }
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith("Bridge.", StringComparison.Ordinal) ? new Logger(this, categoryName) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, EventId eventId, string message, IReadOnlyDictionary<string, string> fields)
    {
        List<TaskCompletionSource<LogEntry>> released = [];
        LogEntry entry;
        lock (_gate)
        {
            entry = new LogEntry(_entries.Count, category, level, eventId, message, fields);
            _entries.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (entry.Sequence >= _waiters[i].After && _waiters[i].Match(entry))
                {
                    released.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var done in released)
        {
            done.TrySetResult(entry);
        }
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    fields[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                }
            }

            owner.Add(category, logLevel, eventId, formatter(state, exception), fields);
        }
    }
}
