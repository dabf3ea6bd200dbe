namespace Bridge.Tests.Daemon;

/// <summary>
/// Plays systemd's side of sd_notify: a bound unix datagram socket whose path goes in the child's NOTIFY_SOCKET.
/// Every datagram received is kept, in order, with the time it arrived.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string _directory;
    private readonly List<NotifyMessage> _received = [];

    public NotifySocket()
    {
        // sun_path holds 108 bytes: keep the path short.
        _directory = Directory.CreateTempSubdirectory("cxb-").FullName;
        Path = System.IO.Path.Combine(_directory, "notify");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    public string Path { get; }

    public IReadOnlyList<NotifyMessage> Received => _received;

    /// <summary>Receives until a message satisfies <paramref name="match"/>, and returns it.</summary>
    public async Task<NotifyMessage> WaitForAsync(Func<NotifyMessage, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await ReceiveAsync(cts.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no notify message {what} within {timeout.TotalSeconds} s; received: {Describe()}");
        }
    }

    /// <summary>Takes every datagram already queued, without waiting for more.</summary>
    public IReadOnlyList<NotifyMessage> TakePending()
    {
        var taken = new List<NotifyMessage>();
        var buffer = new byte[4096];
        while (_socket.Available > 0)
        {
            var length = _socket.Receive(buffer);
            taken.Add(Record(buffer.AsSpan(0, length)));
        }

        return taken;
    }

    public string Describe() => _received.Count == 0 ? "(nothing)" : string.Join(" | ", _received.Select(m => m.Text.ReplaceLineEndings("\\n")));

    private async Task<NotifyMessage> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[4096];
        var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, ct);
        return Record(buffer.AsSpan(0, length));
    }

    private NotifyMessage Record(ReadOnlySpan<byte> datagram)
    {
        var message = new NotifyMessage(Encoding.UTF8.GetString(datagram), DateTimeOffset.UtcNow);
        _received.Add(message);
        return message;
    }

    public void Dispose()
    {
        _socket.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>One sd_notify datagram: newline-separated assignments such as <c>READY=1</c> and <c>STATUS=...</c>.</summary>
internal sealed record NotifyMessage(string Text, DateTimeOffset ReceivedAt)
{
    public IReadOnlyList<string> Assignments => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public bool Has(string assignment) => Assignments.Contains(assignment);

    public string? Status => Assignments.FirstOrDefault(a => a.StartsWith("STATUS=", StringComparison.Ordinal))?["STATUS=".Length..];
}
