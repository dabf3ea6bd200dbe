namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class AclTests
{
    private const string Token = "5f3c1c0e-8a4e-4a8c-9d7e-0d1f1b2c3d4e";

    [Test]
    public async Task A_wrong_token_gets_403_acl_not_found()
    {
        await using var agent = await StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/health/service/consul");
        request.Headers.Add("X-Consul-Token", "not-the-token");
        using var response = await agent.Http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("ACL not found"));
    }

    [Test]
    public async Task The_right_token_reads_through_header_bearer_or_query()
    {
        await using var agent = await StartAsync();

        using var header = new HttpRequestMessage(HttpMethod.Get, "/v1/health/service/consul");
        header.Headers.Add("X-Consul-Token", Token);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/v1/health/service/consul");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var byHeader = await agent.Http.SendAsync(header);
        using var byBearer = await agent.Http.SendAsync(bearer);
        var byQuery = await agent.GetAsync($"/v1/health/service/consul?token={Token}");

        foreach (var body in new[] { await byHeader.Content.ReadAsStringAsync(), await byBearer.Content.ReadAsStringAsync(), byQuery.Body })
        {
            Assert.That(body, Does.Contain("\"Service\":\"consul\""));
        }

        Assert.That(byQuery.Header("X-Consul-Default-ACL-Policy"), Is.EqualTo("deny"));
    }

    [Test]
    public async Task Without_a_token_reads_are_filtered_to_nothing_rather_than_refused()
    {
        await using var agent = await StartAsync();

        var health = await agent.GetAsync("/v1/health/service/consul");
        var services = await agent.GetAsync("/v1/catalog/services");

        Assert.That(health.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(health.Body, Is.EqualTo("[]"));
        Assert.That(health.Index, Is.GreaterThan(1UL));
        Assert.That(services.Body, Is.EqualTo("{}"));
    }

    [Test]
    public async Task Writes_without_a_token_are_denied_and_with_a_wrong_one_not_found()
    {
        await using var agent = await StartAsync();
        const string body = """{ "Name": "web" }""";

        var anonymous = await agent.PutAsync("/v1/agent/service/register", body);
        var wrong = await agent.PutAsync("/v1/agent/service/register?token=nope", body);
        var right = await agent.PutAsync($"/v1/agent/service/register?token={Token}", body);

        Assert.That((anonymous.Status, anonymous.Body), Is.EqualTo((HttpStatusCode.Forbidden,
            "Permission denied: anonymous token lacks permission 'service:write' on \"web\". The anonymous token is used implicitly when a request does not specify a token.")));
        Assert.That((wrong.Status, wrong.Body), Is.EqualTo((HttpStatusCode.Forbidden, "ACL not found")));
        Assert.That(right.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void Options_never_print_the_token()
    {
        var options = new Bridge.DevAgent.DevAgentOptions { RequiredToken = Token };

        Assert.That(options.ToString(), Does.Not.Contain(Token));
    }

    private static Task<TestAgent> StartAsync() => TestAgent.StartAsync(o => o with { RequiredToken = Token });
}
