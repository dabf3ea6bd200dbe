using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Catalog;

/// <summary>One log call with its structured fields, as an operator's log pipeline would see it.</summary>
internal sealed record LogEntry(LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields);

/// <summary>An <see cref="ILogger"/> that keeps every entry, fields included, so tests can assert on what operators see.</summary>
internal class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IEnumerable<LogEntry> WithEvent(string eventName) => Entries.Where(e => e.EventId.Name == eventName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.Where(p => p.Key != "{OriginalFormat}").ToDictionary(p => p.Key, p => p.Value)
            : [];
        _entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), fields));
    }
}

internal sealed class CapturingLogger<T> : CapturingLogger, ILogger<T>;
