namespace Bridge.DevAgent.Diagnostics;

/// <summary>
/// Hands the web host's loggers to the caller's factory, so the host's own filters apply first.
/// Kestrel's report of a response shorter than its Content-Length is dropped: only the
/// drop-mid-body fault produces one, on purpose.
/// </summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";
    private const int ApplicationErrorEventId = 13;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = target.CreateLogger(categoryName);
        return categoryName == KestrelCategory ? new WithoutShortResponses(logger) : logger;
    }

    // The caller owns the factory.
    public void Dispose()
    {
    }

    private sealed class WithoutShortResponses(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == ApplicationErrorEventId
                && exception is InvalidOperationException
                && exception.Message.StartsWith("Response Content-Length mismatch", StringComparison.Ordinal))
            {
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
