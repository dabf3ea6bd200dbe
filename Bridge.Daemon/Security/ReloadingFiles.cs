namespace Bridge.Daemon.Security;

/// <summary>
/// A value loaded from files that tools replace in place (certificates rotated by Vault agent, cert-manager,
/// consul-template): the files are looked at, at most once per <paramref name="checkInterval"/> and only when the
/// value is asked for; a changed set is loaded and served from then on. A set that fails to load is reported and
/// the last good value stays, so a half-written rotation never takes the listener down.
/// </summary>
internal sealed class ReloadingFiles<T>(
    IReadOnlyList<string> paths, Func<T> load, T initial, TimeSpan checkInterval, TimeProvider time, Action<Exception> failed, Action reloaded)
    where T : class
{
    private T _current = initial;
    private (DateTime Written, long Length)[] _stamps = Stamps(paths);
    private long _nextCheck = time.GetTimestamp() + Ticks(checkInterval, time);
    private int _checking;

    public T Current
    {
        get
        {
            if (time.GetTimestamp() >= Interlocked.Read(ref _nextCheck) && Interlocked.Exchange(ref _checking, 1) == 0)
            {
                try
                {
                    Check();
                }
                finally
                {
                    Interlocked.Exchange(ref _nextCheck, time.GetTimestamp() + Ticks(checkInterval, time));
                    Volatile.Write(ref _checking, 0);
                }
            }

            return Volatile.Read(ref _current);
        }
    }

    private void Check()
    {
        var stamps = Stamps(paths);
        if (stamps.SequenceEqual(_stamps))
        {
            return;
        }

        _stamps = stamps;
        try
        {
            Volatile.Write(ref _current, load());
            reloaded();
        }
        catch (PemFileException e)
        {
            failed(e);
        }
    }

    private static (DateTime, long)[] Stamps(IReadOnlyList<string> paths) =>
        [.. paths.Select(p => File.Exists(p) ? (File.GetLastWriteTimeUtc(p), new FileInfo(p).Length) : (DateTime.MinValue, -1L))];

    private static long Ticks(TimeSpan interval, TimeProvider time) => (long)(interval.TotalSeconds * time.TimestampFrequency);
}
