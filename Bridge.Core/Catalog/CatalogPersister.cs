namespace Bridge.Core.Catalog;

/// <summary>
/// Writes the catalog to its state file after changes, at most once per interval (the newest snapshot wins),
/// and once more on shutdown. Only catalogs read from Consul are written: a state loaded from the file is
/// never written back as if it were fresh.
/// </summary>
internal sealed class CatalogPersister
{
    private readonly CatalogStateFile _file;
    private readonly CatalogStore _store;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private long _written = -1;

    public CatalogPersister(CatalogStateFile file, CatalogStore store, TimeSpan interval, TimeProvider time)
    {
        _file = file;
        _store = store;
        _interval = interval;
        _time = time;
        store.Subscribe((_, _) =>
        {
            if (_changed.CurrentCount == 0)
            {
                try
                {
                    _changed.Release();
                }
                catch (SemaphoreFullException)
                {
                }
            }
        });
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(ct).ConfigureAwait(false);
                WriteIfNewer();
                await Task.Delay(_interval, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            WriteIfNewer();
        }
    }

    private void WriteIfNewer()
    {
        var snapshot = _store.Current;
        // A catalog served while an answer is held back (ACL-filtered, or a suspect removal) is not what Consul says.
        if (!snapshot.Synced || snapshot.Source != CatalogSource.Consul || snapshot.Generation == _written || _store.Holding)
        {
            return;
        }

        _file.Save(snapshot, _time.GetUtcNow());
        _written = snapshot.Generation;
    }
}
