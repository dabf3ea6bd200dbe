using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Bridge.Daemon.Logging;

/// <summary>
/// One JSON object per line for journald and log shippers: timestamp, level, stable event id and name,
/// category, message, every named field of the event, and the scope (node id, service). A field whose name
/// suggests a secret is written as "[redacted]".
/// </summary>
internal sealed class JsonLineFormatter : ConsoleFormatter
{
    public const string FormatterName = "bridge-json";

    public JsonLineFormatter()
        : base(FormatterName)
    {
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(logEntry.LogLevel));
            json.WriteNumber("eventId", logEntry.EventId.Id);
            if (!string.IsNullOrEmpty(logEntry.EventId.Name))
            {
                json.WriteString("eventName", logEntry.EventId.Name);
            }

            json.WriteString("category", logEntry.Category);
            json.WriteString("message", message ?? "");
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields)
                {
                    if (key != "{OriginalFormat}" && key is not ("timestamp" or "level" or "eventId" or "eventName" or "category" or "message" or "scope" or "exception"))
                    {
                        WriteField(json, key, value);
                    }
                }
            }

            if (scopeProvider is not null)
            {
                var wroteScope = false;
                scopeProvider.ForEachScope((scope, writer) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        if (!wroteScope)
                        {
                            writer.WriteStartObject("scope");
                            wroteScope = true;
                        }

                        foreach (var (key, value) in pairs)
                        {
                            if (key != "{OriginalFormat}")
                            {
                                WriteField(writer, key, value);
                            }
                        }
                    }
                }, json);
                if (wroteScope)
                {
                    json.WriteEndObject();
                }
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("exception", exception.ToString());
            }

            json.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write('\n');
    }

    private static void WriteField(Utf8JsonWriter json, string key, object? value)
    {
        if (IsSecret(key))
        {
            json.WriteString(key, "[redacted]");
            return;
        }

        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or uint or ulong or ushort or byte:
                json.WriteNumber(key, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double d when double.IsFinite(d):
                json.WriteNumber(key, d);
                break;
            case DateTimeOffset dto:
                json.WriteString(key, dto);
                break;
            default:
                json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    private static bool IsSecret(string key) =>
        key.Contains("token", StringComparison.OrdinalIgnoreCase)
        || key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase);

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };
}
