using System.Collections.Immutable;

namespace Bridge.Daemon.Configuration;

/// <summary>A reload's new snapshot, the one it replaces, and the keys of the settings that differ.</summary>
internal sealed record SettingsChange(BridgeSettings Previous, BridgeSettings Next, IReadOnlyList<string> ChangedKeys);

/// <summary>
/// The settings in force, as one immutable snapshot, and the one signal by which a new snapshot reaches whoever
/// applies it: each subscriber is called, in the order they subscribed, with the previous snapshot and the new one.
/// Which settings a subscriber applies is its own business; <see cref="SettingReloads"/> says which ones the
/// daemon applies at all.
/// </summary>
internal sealed class SettingsMonitor(BridgeSettings initial)
{
    private BridgeSettings _current = initial;
    private ImmutableList<Func<SettingsChange, CancellationToken, Task>> _subscribers = [];

    public BridgeSettings Current => Volatile.Read(ref _current);

    /// <summary>Calls <paramref name="apply"/> with every later change; disposing the result stops that.</summary>
    public IDisposable OnChange(Func<SettingsChange, CancellationToken, Task> apply)
    {
        ImmutableInterlocked.Update(ref _subscribers, list => list.Add(apply));
        return new Subscription(this, apply);
    }

    /// <summary>
    /// Puts <paramref name="next"/> in force and awaits every subscriber with it. Nothing happens when it equals the
    /// snapshot in force. Callers publish one snapshot at a time.
    /// </summary>
    /// <returns>The change, or null when there was none.</returns>
    public async Task<SettingsChange?> PublishAsync(BridgeSettings next, CancellationToken cancellationToken = default)
    {
        var previous = Current;
        if (next == previous)
        {
            return null;
        }

        var change = new SettingsChange(previous, next, SettingReloads.Changed(previous, next));
        Volatile.Write(ref _current, next);
        foreach (var apply in Volatile.Read(ref _subscribers))
        {
            await apply(change, cancellationToken).ConfigureAwait(false);
        }

        return change;
    }

    private sealed class Subscription(SettingsMonitor owner, Func<SettingsChange, CancellationToken, Task> apply) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref owner._subscribers, list => list.Remove(apply));
    }
}
