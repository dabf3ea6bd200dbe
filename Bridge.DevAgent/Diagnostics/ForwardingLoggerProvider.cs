using Microsoft.Extensions.Logging;

namespace Bridge.DevAgent.Diagnostics;

/// <summary>Hands the web host's loggers to the caller's factory, so the host's own filters apply first.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

    // The caller owns the factory.
    public void Dispose()
    {
    }
}
