using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Security;

/// <summary>One event as written: its message, its named fields, its exception and scopes, all as text.</summary>
internal sealed record CapturedEvent(string Category, LogLevel Level, int EventId, string Message, IReadOnlyDictionary<string, string> Fields, string Everything)
{
    public string this[string field] => Fields.TryGetValue(field, out var value) ? value : "";

    public override string ToString() => $"{Level} {EventId} {Category}: {Message}";
}

/// <summary>
/// Every log event of every category and level, rendered completely (message, fields, exception with its inner
/// exceptions and stack, scopes), so a test can search all of it for a secret.
/// </summary>
internal sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly List<CapturedEvent> _events = [];
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<CapturedEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public string AllText => string.Join(Environment.NewLine, Events.Select(e => e.Everything));

    public IEnumerable<CapturedEvent> WithId(int eventId) => Events.Where(e => e.EventId == eventId);

    public async Task<CapturedEvent> WaitForAsync(int eventId, Func<CapturedEvent, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (WithId(eventId).FirstOrDefault(e => match?.Invoke(e) ?? true) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No event {eventId}. Logged:{Environment.NewLine}{string.Join(Environment.NewLine, Events.Where(e => e.Level >= LogLevel.Information))}");
            }

            await Task.Delay(20);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var all = new StringBuilder().Append(category).Append(' ').Append(message);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                    fields[key] = text;
                    all.Append(' ').Append(key).Append('=').Append(text);
                }
            }

            owner._scopes?.ForEachScope((scope, sb) => sb.Append(" scope=").Append(Convert.ToString(scope, CultureInfo.InvariantCulture)), all);
            if (exception is not null)
            {
                all.Append(' ').Append(exception);
            }

            lock (owner._events)
            {
                owner._events.Add(new CapturedEvent(category, logLevel, eventId.Id, message, fields, all.ToString()));
            }
        }
    }
}
