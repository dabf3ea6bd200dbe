using Grpc.Core;

namespace Bridge.Core.Ads.Authorization;

/// <summary>
/// Lets a stream's first request through only once <paramref name="checkFirst"/> accepts it (it throws to refuse).
/// The stream reads through this as through the original, so the stream code needs no authorization hook, and the
/// check happens inside the stream's own run: the stream counts against the stream limits while it waits for the
/// first request.
/// </summary>
internal sealed class AuthorizingStreamReader<T>(IAsyncStreamReader<T> inner, Action<T> checkFirst) : IAsyncStreamReader<T>
{
    private bool _checked;

    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (!await inner.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        if (!_checked)
        {
            checkFirst(inner.Current);
            _checked = true;
        }

        return true;
    }
}
