using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bridge.Testing.Logging;

/// <summary>
/// Reading and awaiting the bridge's events in a <see cref="FakeLogCollector"/>. A stream handles its requests in
/// order, so awaiting the event a request causes (an ACK, a NACK, a stale nonce) proves every earlier request of
/// that stream has been applied: tests use that as a barrier instead of sleeping.
/// </summary>
public static class CollectedLogs
{
    /// <summary>A position in the log: <see cref="WaitForAsync"/> given it matches only events written after now.</summary>
    /// <param name="logs">The collector.</param>
    /// <returns>How many records were collected so far.</returns>
    public static int Mark(this FakeLogCollector logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return logs.Count;
    }

    /// <summary>The events with id <paramref name="eventId"/> collected so far, in order.</summary>
    /// <param name="logs">The collector.</param>
    /// <param name="eventId">The event id, as operators see it.</param>
    /// <returns>A point-in-time list.</returns>
    public static IReadOnlyList<FakeLogRecord> WithId(this FakeLogCollector logs, int eventId)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return [.. logs.GetSnapshot().Where(r => r.Id.Id == eventId)];
    }

    /// <summary>The events named <paramref name="eventName"/> (their <c>EventName</c>) logged so far, in order.</summary>
    /// <param name="logger">The logger the code under test was given.</param>
    /// <param name="eventName">The event's name, e.g. <c>ServiceRemoved</c>.</param>
    /// <returns>A point-in-time list.</returns>
    public static IReadOnlyList<FakeLogRecord> WithEvent(this FakeLogger logger, string eventName)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return [.. logger.Collector.GetSnapshot().Where(r => r.Id.Name == eventName)];
    }

    /// <summary>Every record the logger collected so far.</summary>
    /// <param name="logger">The logger the code under test was given.</param>
    /// <returns>A point-in-time list.</returns>
    public static IReadOnlyList<FakeLogRecord> Entries(this FakeLogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.Collector.GetSnapshot();
    }

    /// <summary>The event's named fields as text, as an operator's log pipeline sees them.</summary>
    /// <param name="record">The event.</param>
    /// <returns>Field name to value.</returns>
    public static IReadOnlyDictionary<string, string> Fields(this FakeLogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (record.StructuredState ?? []).Where(p => p.Key != "{OriginalFormat}").ToDictionary(p => p.Key, p => p.Value ?? "", StringComparer.Ordinal);
    }

    /// <summary>The first event <paramref name="eventId"/> after <paramref name="after"/> that satisfies <paramref name="match"/>, as soon as it is written.</summary>
    /// <param name="logs">The collector.</param>
    /// <param name="eventId">The event id.</param>
    /// <param name="match">What else the event must satisfy; any when null.</param>
    /// <param name="timeout">How long to wait before failing with every event written since the mark (10 s when null).</param>
    /// <param name="after">A <see cref="Mark"/>; 0 for the whole log.</param>
    /// <returns>The event.</returns>
    /// <exception cref="TimeoutException">No such event within <paramref name="timeout"/>.</exception>
    public static async Task<FakeLogRecord> WaitForAsync(this FakeLogCollector logs, int eventId, Func<FakeLogRecord, bool>? match = null, TimeSpan? timeout = null, int after = 0)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var patience = timeout ?? TimeSpan.FromSeconds(10);
        bool Matches(FakeLogRecord r) => r.Id.Id == eventId && (match?.Invoke(r) ?? true);

        // The records before the mark are skipped by identity, whichever record the live enumeration starts from.
        var before = new HashSet<FakeLogRecord>(logs.GetSnapshot().Take(after), ReferenceEqualityComparer.Instance);
        using var deadline = new CancellationTokenSource(patience);
        try
        {
            await foreach (var record in logs.GetLogsAsync(deadline.Token).ConfigureAwait(false))
            {
                if (!before.Contains(record) && Matches(record))
                {
                    return record;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"No log event {eventId} matching within {patience.TotalSeconds} s. Logged:{Environment.NewLine}"
            + string.Join(Environment.NewLine, logs.GetSnapshot().Skip(after).Select(Describe)));
    }

    /// <summary>The named field <paramref name="name"/> of the event as text; empty when it has none.</summary>
    /// <param name="record">The event.</param>
    /// <param name="name">The field, e.g. <c>NodeId</c>.</param>
    /// <returns>The field's value.</returns>
    public static string Field(this FakeLogRecord record, string name)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.GetStructuredStateValue(name) ?? "";
    }

    /// <summary>
    /// All of an event as text: category, level, id, message, every named field, scopes and the exception with its
    /// inner exceptions and stack, so that a test can search everything written for a secret.
    /// </summary>
    /// <param name="record">The event.</param>
    /// <returns>One line per event (more when an exception spans lines).</returns>
    public static string Describe(this FakeLogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder()
            .Append(record.Level).Append(' ').Append(record.Id.Id).Append(' ').Append(record.Category).Append(": ").Append(record.Message);
        // Each field as the daemon's log formatter renders it (Convert.ToString), not as FakeLogger expands collections.
        if (record.State is IEnumerable<KeyValuePair<string, object?>> fields)
        {
            foreach (var (key, value) in fields)
            {
                text.Append(' ').Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        foreach (var scope in record.Scopes)
        {
            text.Append(" scope=").Append(Convert.ToString(scope, CultureInfo.InvariantCulture));
        }

        if (record.Exception is not null)
        {
            text.Append(' ').Append(record.Exception);
        }

        return text.ToString();
    }

    /// <summary>Everything written, each event rendered by <see cref="Describe"/>.</summary>
    /// <param name="logs">The collector.</param>
    /// <returns>The whole log as text.</returns>
    public static string AllText(this FakeLogCollector logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return string.Join(Environment.NewLine, logs.GetSnapshot().Select(Describe));
    }

    /// <summary>A collector of every event of every level, for a logger made by hand (<c>new FakeLogger&lt;T&gt;(collector)</c>).</summary>
    /// <returns>The collector.</returns>
    public static FakeLogCollector Everything() => FakeLogCollector.Create(new FakeLogCollectorOptions());

    /// <summary>The events of <paramref name="logs"/> at <paramref name="level"/> or above.</summary>
    /// <param name="logs">The collector.</param>
    /// <param name="level">The lowest level listed.</param>
    /// <returns>A point-in-time list.</returns>
    public static IReadOnlyList<FakeLogRecord> AtLeast(this FakeLogCollector logs, LogLevel level)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return [.. logs.GetSnapshot().Where(r => r.Level >= level)];
    }
}
