using Bridge.DevAgent.Faults;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class ConnectionLimitTests
{
    private const string Expected =
        "HTTP/1.1 429 Too Many Requests\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Length: 81\r\n" +
        "Connection: close\r\n\r\n" +
        "Your IP is issuing too many concurrent connections, please rate limit your calls\n";

    [Test]
    public async Task A_connection_over_the_per_ip_limit_gets_the_raw_429_and_is_closed()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { MaxConnsPerClient = 3 });
        var held = await OpenAsync(agent, 3);
        await TestAgent.Until(() => agent.Server.GetStatistics().OpenConnections == 3, "3 connections accepted");

        using var extra = await ConnectAsync(agent);
        var answer = await ReadToEndAsync(extra);

        Assert.That(answer, Is.EqualTo(Expected));
        var stats = agent.Server.GetStatistics();
        Assert.That(stats.ConnectionLimitRejections, Is.EqualTo(1));
        Assert.That(stats.TooManyRequestsResponses, Is.EqualTo(1));
        Assert.That(stats.PeakConnectionsPerIp, Is.EqualTo(3));
        Assert.That(stats.ConnectionsPerIp["127.0.0.1"], Is.EqualTo(3));
        Dispose(held);
    }

    [Test]
    public async Task Closing_a_connection_frees_a_slot()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { MaxConnsPerClient = 2 });
        var held = await OpenAsync(agent, 2);
        await TestAgent.Until(() => agent.Server.GetStatistics().OpenConnections == 2, "2 connections accepted");

        held[0].Dispose();
        await TestAgent.Until(() => agent.Server.GetStatistics().OpenConnections == 1, "one connection released");
        using var next = await ConnectAsync(agent);
        await next.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET /v1/catalog/datacenters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var answer = await ReadToEndAsync(next);

        Assert.That(answer, Does.StartWith("HTTP/1.1 200 OK"));
        Dispose(held);
    }

    [Test]
    public async Task The_limit_can_be_changed_at_runtime_for_new_connections()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { MaxConnsPerClient = 1 });
        var held = await OpenAsync(agent, 1);
        await TestAgent.Until(() => agent.Server.GetStatistics().OpenConnections == 1, "1 connection accepted");

        using var extra = await ConnectAsync(agent);

        Assert.That(await ReadToEndAsync(extra), Is.EqualTo(Expected));
        Dispose(held);
    }

    [Test]
    public async Task Each_source_address_has_its_own_allowance()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { MaxConnsPerClient = 2 });
        var second = IPAddress.Parse("127.0.0.2");
        var held = await OpenAsync(agent, 2);
        held.AddRange(await OpenAsync(agent, 2, second));
        await TestAgent.Until(() => agent.Server.GetStatistics().OpenConnections == 4, "4 connections accepted");

        using var extra = await ConnectAsync(agent, second);

        Assert.That(await ReadToEndAsync(extra), Is.EqualTo(Expected), "the third connection from 127.0.0.2");
        var stats = agent.Server.GetStatistics();
        Assert.That(stats.ConnectionsPerIp, Is.EquivalentTo(new Dictionary<string, int> { ["127.0.0.1"] = 2, ["127.0.0.2"] = 2 }));
        Assert.That(stats.PeakConnectionsByIp, Is.EquivalentTo(new Dictionary<string, int> { ["127.0.0.1"] = 2, ["127.0.0.2"] = 2 }));
        Assert.That(stats.ConnectionLimitRejections, Is.EqualTo(1));
        Dispose(held);
    }

    private static async Task<TcpClient> ConnectAsync(TestAgent agent, IPAddress? source = null)
    {
        var client = source is null ? new TcpClient() : new TcpClient(new IPEndPoint(source, 0));
        await client.ConnectAsync(agent.Server.Address.Host, agent.Server.Address.Port);
        return client;
    }

    private static async Task<List<TcpClient>> OpenAsync(TestAgent agent, int count, IPAddress? source = null)
    {
        var clients = new List<TcpClient>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(await ConnectAsync(agent, source));
        }

        return clients;
    }

    private static async Task<string> ReadToEndAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var buffer = new MemoryStream();
        await client.GetStream().CopyToAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer.ToArray());
    }

    private static void Dispose(List<TcpClient> clients)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
