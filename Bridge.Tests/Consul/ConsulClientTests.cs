using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class ConsulClientTests
{
    private const string HealthEndpoint = "/v1/health/service";
    private const string ServicesEndpoint = "/v1/catalog/services";

    private static readonly QueryOptions FirstRead = new(0, TimeSpan.FromMinutes(5));
    private static readonly QueryOptions Blocking = new(42, TimeSpan.FromMinutes(5));

    /// <summary>An answer as Consul 1.2x sends it, with fields the bridge does not model.</summary>
    private const string WebEntries = """
        [
          {
            "Node": {
              "ID": "40e4a748-2192-161a-0510-9bf59fe950b5",
              "Node": "node-a",
              "Address": "10.1.10.12",
              "Datacenter": "dc1",
              "TaggedAddresses": { "lan": "10.1.10.12", "wan": "10.1.10.12" },
              "Meta": { "zone": "eu-west-1a" },
              "CreateIndex": 5,
              "ModifyIndex": 9
            },
            "Service": {
              "ID": "web-1",
              "Service": "web",
              "Tags": ["primary", "v1"],
              "Address": "10.1.10.13",
              "TaggedAddresses": { "lan_ipv4": { "Address": "10.1.10.13", "Port": 8080 } },
              "Meta": { "version": "1.2" },
              "Port": 8080,
              "Weights": { "Passing": 10, "Warning": 2 },
              "EnableTagOverride": false,
              "Proxy": { "Mode": "", "MeshGateway": {}, "Expose": {} },
              "Connect": {},
              "Kind": "",
              "CreateIndex": 7,
              "ModifyIndex": 7
            },
            "Checks": [
              { "Node": "node-a", "CheckID": "serfHealth", "Name": "Serf Health Status", "Status": "passing", "ServiceID": "", "ServiceName": "", "ServiceTags": [], "Type": "", "Definition": {}, "CreateIndex": 5, "ModifyIndex": 5 },
              { "Node": "node-a", "CheckID": "service:web-1", "Name": "web check", "Status": "warning", "Notes": "slow", "ServiceID": "web-1", "ServiceName": "web", "ServiceTags": ["primary"], "Type": "http", "Definition": {}, "CreateIndex": 7, "ModifyIndex": 8 }
            ]
          }
        ]
        """;

    // ---- Query string and headers sent -------------------------------------------------------------

    [Test]
    public async Task First_read_sends_no_index_and_no_wait()
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("{}"));

        await client.GetServicesAsync(FirstRead, CancellationToken.None);

        var request = handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Path, Is.EqualTo(ServicesEndpoint));
            Assert.That(request.Query.Keys, Has.No.Member("index").And.No.Member("wait"));
        });
    }

    [Test]
    public async Task Blocking_read_sends_the_index_and_the_wait_in_milliseconds()
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("{}"));

        await client.GetServicesAsync(Blocking, CancellationToken.None);

        var query = handler.Requests.Single().Query;
        Assert.Multiple(() =>
        {
            Assert.That(query["index"], Is.EqualTo("42"));
            Assert.That(query["wait"], Is.EqualTo("300000ms"));
        });
    }

    [TestCase(1.2, "2ms")]
    [TestCase(0.1, "1ms")]
    [TestCase(1500, "1500ms")]
    public async Task Wait_is_rounded_up_to_whole_milliseconds_and_never_zero(double waitMs, string expected)
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("{}"));

        await client.GetServicesAsync(new QueryOptions(7, TimeSpan.FromMilliseconds(waitMs)), CancellationToken.None);

        Assert.That(handler.Requests.Single().Query["wait"], Is.EqualTo(expected));
    }

    [Test]
    public async Task Datacenter_and_stale_are_sent_when_configured()
    {
        var options = new ConsulOptions { Datacenter = "eu west", Consistency = ConsulConsistency.Stale };
        var (client, handler) = Client(() => StubHttpHandler.Json("[]"), options);

        await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        var request = handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Path, Is.EqualTo("/v1/health/service/web"));
            Assert.That(request.Query, Does.ContainKey("dc").WithValue("eu west"));
            Assert.That(request.Query, Does.ContainKey("stale").WithValue(null));
            Assert.That(request.Uri.Query, Does.Contain("dc=eu%20west"), "the datacenter must be escaped");
        });
    }

    [Test]
    public async Task Default_consistency_and_no_datacenter_send_neither_parameter()
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("[]"));

        await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        Assert.That(handler.Requests.Single().Query.Keys, Has.No.Member("stale").And.No.Member("dc").And.No.Member("consistent"));
    }

    [Test]
    public async Task Service_name_is_escaped_as_one_path_segment()
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("[]"));

        await client.GetHealthServiceAsync("a b/c?d", FirstRead, CancellationToken.None);

        var uri = handler.Requests.Single().Uri;
        Assert.Multiple(() =>
        {
            Assert.That(uri.AbsoluteUri, Does.Contain("/v1/health/service/a%20b%2Fc%3Fd"));
            Assert.That(uri.Query, Is.Empty, "a '?' in the name must not start a query string");
        });
    }

    [Test]
    public async Task Token_is_sent_in_the_header_and_never_in_the_url()
    {
        const string token = "3f9a2c1e-secret-token";
        var (client, handler) = Client(() => StubHttpHandler.Json("[]"), new ConsulOptions { Token = token, Datacenter = "dc1" });

        await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        var request = handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Headers, Does.ContainKey("X-Consul-Token").WithValue(token));
            Assert.That(request.Uri.ToString(), Does.Not.Contain(token));
            Assert.That(request.Query.Keys, Has.No.Member("token"));
        });
    }

    [Test]
    public async Task No_token_header_is_sent_when_no_token_is_configured()
    {
        var (client, handler) = Client(() => StubHttpHandler.Json("[]"), new ConsulOptions { Token = "" });

        await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        Assert.That(handler.Requests.Single().Headers.Keys, Has.No.Member("X-Consul-Token"));
    }

    // ---- Response headers and body ------------------------------------------------------------------

    [Test]
    public async Task Answer_carries_the_consul_index_and_leader_metadata()
    {
        var (client, _) = Client(() =>
        {
            var response = StubHttpHandler.Json("{}", index: "123456789012");
            response.Headers.Add("X-Consul-KnownLeader", "true");
            response.Headers.Add("X-Consul-LastContact", "250");
            return response;
        });

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Index, Is.EqualTo(123456789012UL));
            Assert.That(result.KnownLeader, Is.True);
            Assert.That(result.LastContact, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(result.FilteredByAcls, Is.False);
        });
    }

    [TestCase("0")]
    [TestCase(null)]
    [TestCase("not-a-number")]
    [TestCase("-5")]
    public async Task Index_zero_missing_or_unparsable_is_clamped_to_one(string? header)
    {
        var (client, _) = Client(() => StubHttpHandler.Json("{}", index: header));

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.That(result.Index, Is.EqualTo(1UL));
    }

    [TestCase(null, false)]
    [TestCase("not-a-number", false)]
    [TestCase("0", true)]
    [TestCase("17", true)]
    public async Task Whether_the_answer_carried_an_index_is_reported(string? header, bool present)
    {
        var (client, _) = Client(() => StubHttpHandler.Json("{}", index: header));

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.That(result.HasIndex, Is.EqualTo(present));
    }

    // ---- One entry Consul accepts but the model cannot hold costs that entry, not the answer --------

    [Test]
    public async Task Entry_with_a_field_of_an_unexpected_type_is_left_out_naming_it_and_the_others_are_kept()
    {
        const string body = """
            [{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"web-1","Port":"8080"},"Checks":[]},
             {"Node":{"Node":"n2","Address":"10.0.0.2"},"Service":{"ID":"web-2","Port":8080,"Meta":{"version":2}},"Checks":[]},
             {"Node":{"Node":"n3","Address":"10.0.0.3"},"Service":{"ID":"web-3","Port":8080,"TaggedAddresses":{"lan":"10.0.0.3"}},"Checks":[]},
             {"Node":{"Node":"n4","Address":"10.0.0.4"},"Service":{"ID":"web-4","Port":8080},"Checks":[]},
             7]
            """;
        var (client, _) = Client(() => StubHttpHandler.Json(body));

        var result = await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Value.Select(e => e.Service!.ID), Is.EqualTo(new[] { "web-4" }));
            Assert.That(result.Skipped, Is.EqualTo(new[]
            {
                new SkippedInstance("n1", "web-1", "Service.Port", "\"8080\""),
                new SkippedInstance("n2", "web-2", "Service.Meta.version", "2"),
                new SkippedInstance("n3", "web-3", "Service.TaggedAddresses.lan", "\"10.0.0.3\""),
                new SkippedInstance("", "", "(entry)", "7"),
            }));
        });
    }

    [Test]
    public async Task Weights_and_ports_beyond_32_bits_are_read_as_consul_sent_them()
    {
        const string body = """[{"Node":{"Node":"n1"},"Service":{"ID":"w","Port":9223372036854775807,"Weights":{"Passing":4294967295,"Warning":9223372036854775807}},"Checks":[]}]""";
        var (client, _) = Client(() => StubHttpHandler.Json(body));

        var result = await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Skipped, Is.Empty);
            Assert.That(result.Value[0].Service!.Port, Is.EqualTo(long.MaxValue));
            Assert.That(result.Value[0].Service!.Weights!.Passing, Is.EqualTo(4294967295L));
            Assert.That(result.Value[0].Service!.Weights!.Warning, Is.EqualTo(long.MaxValue));
        });
    }

    // ---- Staleness is bounded under Consistency=Stale ------------------------------------------------

    [TestCase("30000", "true", TestName = "Stale_answer_lagging_more_than_max_stale_is_read_again_from_the_leader")]
    [TestCase("0", "false", TestName = "Stale_answer_from_a_server_that_knows_no_leader_is_read_again_from_the_leader")]
    public async Task Stale_answer_past_the_bound_is_read_again_from_the_leader(string lastContact, string knownLeader)
    {
        var answers = 0;
        var (client, handler) = Client(
            () =>
            {
                var response = StubHttpHandler.Json(answers++ == 0 ? """{"old":[]}""" : """{"new":[]}""", index: "50");
                response.Headers.Add("X-Consul-LastContact", answers == 1 ? lastContact : "0");
                response.Headers.Add("X-Consul-KnownLeader", answers == 1 ? knownLeader : "true");
                return response;
            },
            new ConsulOptions { Consistency = ConsulConsistency.Stale, MaxStale = TimeSpan.FromSeconds(10) });

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Value.Keys, Is.EqualTo(new[] { "new" }));
            Assert.That(handler.Requests, Has.Count.EqualTo(2));
            Assert.That(handler.Requests[0].Query, Does.ContainKey("stale"));
            Assert.That(handler.Requests[1].Query, Does.Not.ContainKey("stale"));
            Assert.That(handler.Requests[1].Query["index"], Is.EqualTo("42"), "the same question, asked of the leader");
        });
    }

    [Test]
    public async Task Stale_answer_within_max_stale_is_used_as_it_is()
    {
        var (client, handler) = Client(
            () =>
            {
                var response = StubHttpHandler.Json("""{"web":[]}""");
                response.Headers.Add("X-Consul-LastContact", "9000");
                return response;
            },
            new ConsulOptions { Consistency = ConsulConsistency.Stale, MaxStale = TimeSpan.FromSeconds(10) });

        await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.That(handler.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Known_leader_false_is_reported()
    {
        var (client, _) = Client(() =>
        {
            var response = StubHttpHandler.Json("{}");
            response.Headers.Add("X-Consul-KnownLeader", "false");
            return response;
        });

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.That(result.KnownLeader, Is.False);
    }

    [Test]
    public async Task Streaming_answer_without_leader_headers_counts_as_having_a_leader()
    {
        var (client, _) = Client(() => StubHttpHandler.Json("{}"));

        var result = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.KnownLeader, Is.True);
            Assert.That(result.LastContact, Is.EqualTo(TimeSpan.Zero));
        });
    }

    [Test]
    public async Task Results_filtered_by_acls_is_reported()
    {
        var (client, _) = Client(() =>
        {
            var response = StubHttpHandler.Json("[]");
            response.Headers.Add("X-Consul-Results-Filtered-By-ACLs", "true");
            return response;
        });

        var result = await client.GetHealthServiceAsync("web", Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.FilteredByAcls, Is.True);
            Assert.That(result.Value, Is.Empty);
        });
    }

    [Test]
    public async Task Service_list_is_decoded_with_null_and_empty_tag_lists()
    {
        var (client, _) = Client(() => StubHttpHandler.Json("""{"consul":[],"postgresql":["primary","secondary"],"legacy":null}"""));

        var result = await client.GetServicesAsync(FirstRead, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Value.Keys, Is.EquivalentTo(new[] { "consul", "postgresql", "legacy" }));
            Assert.That(result.Value["postgresql"], Is.EqualTo(new[] { "primary", "secondary" }));
            Assert.That(result.Value["consul"], Is.Empty);
            Assert.That(result.Value["legacy"], Is.Null);
        });
    }

    [Test]
    public async Task Health_entries_are_decoded_ignoring_fields_the_bridge_does_not_use()
    {
        var (client, _) = Client(() => StubHttpHandler.Json(WebEntries));

        var result = await client.GetHealthServiceAsync("web", FirstRead, CancellationToken.None);

        var entry = result.Value.Single();
        Assert.Multiple(() =>
        {
            Assert.That(entry.Node!.Node, Is.EqualTo("node-a"));
            Assert.That(entry.Node.Address, Is.EqualTo("10.1.10.12"));
            Assert.That(entry.Node.Datacenter, Is.EqualTo("dc1"));
            Assert.That(entry.Node.Meta, Does.ContainKey("zone").WithValue("eu-west-1a"));
            Assert.That(entry.Service!.ID, Is.EqualTo("web-1"));
            Assert.That(entry.Service.Address, Is.EqualTo("10.1.10.13"));
            Assert.That(entry.Service.Port, Is.EqualTo(8080));
            Assert.That(entry.Service.Tags, Is.EqualTo(new[] { "primary", "v1" }));
            Assert.That(entry.Service.Weights, Is.EqualTo(new ServiceWeights { Passing = 10, Warning = 2 }));
            Assert.That(entry.Checks!.Select(c => (c.CheckID, c.Status, c.ServiceID)), Is.EqualTo(new[]
            {
                ("serfHealth", "passing", ""),
                ("service:web-1", "warning", "web-1"),
            }));
        });
    }

    [Test]
    public async Task Property_names_are_matched_case_insensitively()
    {
        var (client, _) = Client(() => StubHttpHandler.Json("""[{"node":{"node":"n1","address":"10.0.0.1"},"service":{"id":"s1","port":80},"checks":[]}]"""));

        var result = await client.GetHealthServiceAsync("web", FirstRead, CancellationToken.None);

        var entry = result.Value.Single();
        Assert.That((entry.Node?.Node, entry.Node?.Address, entry.Service?.ID, entry.Service?.Port), Is.EqualTo(("n1", "10.0.0.1", "s1", 80)));
    }

    [Test]
    public async Task Content_hash_depends_only_on_the_body()
    {
        var bodies = new Queue<(string Body, string Index)>([("""{"a":[]}""", "5"), ("""{"a":[]}""", "9"), ("""{"b":[]}""", "9")]);
        var (client, _) = Client(() =>
        {
            var (body, index) = bodies.Dequeue();
            return StubHttpHandler.Json(body, index);
        });

        var first = await client.GetServicesAsync(FirstRead, CancellationToken.None);
        var sameBodyNewIndex = await client.GetServicesAsync(Blocking, CancellationToken.None);
        var otherBody = await client.GetServicesAsync(Blocking, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(sameBodyNewIndex.ContentHash, Is.EqualTo(first.ContentHash));
            Assert.That(otherBody.ContentHash, Is.Not.EqualTo(first.ContentHash));
        });
    }

    [Test]
    public async Task Body_of_exactly_the_size_limit_is_accepted()
    {
        var body = PaddedServicesBody(256);
        var (client, _) = Client(() => BodyOfUndeclaredLength(body), new ConsulOptions { MaxResponseBytes = 256 });

        var result = await client.GetServicesAsync(FirstRead, CancellationToken.None);

        Assert.That(result.Value.Keys, Is.EquivalentTo(new[] { "a" }));
    }

    // ---- Bodies that are not the answer expected ----------------------------------------------------

    [TestCase("""[{"Node": {"Node": "n1"}, "Service": """, TestName = "Truncated_json_is_a_bad_response")]
    [TestCase("""<html><body>502 Bad Gateway</body></html>""", TestName = "Html_with_200_is_a_bad_response")]
    [TestCase("""{"Node":{"Node":"n1"}}""", TestName = "Object_where_an_array_is_expected_is_a_bad_response")]
    [TestCase("", TestName = "Empty_body_is_a_bad_response")]
    public void Malformed_health_answer_is_a_bad_response_naming_the_endpoint(string body)
    {
        var (client, _) = Client(() => StubHttpHandler.Json(body));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Endpoint, Is.EqualTo(HealthEndpoint));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:"));
            Assert.That(error.Status, Is.Null);
        });
    }

    [Test]
    public void Json_null_is_a_bad_response()
    {
        var (client, _) = Client(() => StubHttpHandler.Json("null"));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("null"));
        });
    }

    [Test]
    public void Services_answer_that_is_not_a_map_of_tag_lists_is_a_bad_response()
    {
        var (client, _) = Client(() => StubHttpHandler.Json("""{"web":"primary"}"""));

        var error = Assert.ThrowsAsync<ConsulException>(() => client.GetServicesAsync(FirstRead, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Endpoint, Is.EqualTo(ServicesEndpoint));
        });
    }

    [Test]
    public void Declared_length_over_the_limit_is_refused_before_the_body_is_read()
    {
        var stream = new ScriptedBodyStream(Encoding.UTF8.GetBytes(PaddedServicesBody(2048)));
        var (client, _) = Client(
            () =>
            {
                var content = new StreamContent(stream);
                content.Headers.ContentLength = 2048;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
            },
            new ConsulOptions { MaxResponseBytes = 1024 });

        var error = Assert.ThrowsAsync<ConsulException>(() => client.GetServicesAsync(FirstRead, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Message, Does.StartWith($"Consul {ServicesEndpoint}:").And.Contain("MaxResponseBytes"));
            Assert.That(stream.BytesRead, Is.Zero);
        });
    }

    [Test]
    public void Undeclared_length_over_the_limit_is_refused_without_reading_it_all()
    {
        var body = PaddedServicesBody(1024 * 1024);
        var stream = new ScriptedBodyStream(Encoding.UTF8.GetBytes(body));
        var (client, _) = Client(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(stream) }, new ConsulOptions { MaxResponseBytes = 4096 });

        var error = Assert.ThrowsAsync<ConsulException>(() => client.GetServicesAsync(FirstRead, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.BadResponse));
            Assert.That(error.Message, Does.StartWith($"Consul {ServicesEndpoint}:").And.Contain("MaxResponseBytes"));
            Assert.That(stream.BytesRead, Is.LessThan(64 * 1024), "reading should stop soon after the limit");
        });
    }

    // ---- HTTP errors --------------------------------------------------------------------------------

    [Test]
    public void No_cluster_leader_is_a_server_error()
    {
        var (client, _) = Client(() => StubHttpHandler.Text(HttpStatusCode.InternalServerError, "No cluster leader"));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.ServerError));
            Assert.That(error.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("No cluster leader"));
        });
    }

    [Test]
    public void No_path_to_datacenter_is_a_configuration_error()
    {
        var (client, _) = Client(() => StubHttpHandler.Text(HttpStatusCode.InternalServerError, "No path to datacenter"), new ConsulOptions { Datacenter = "dc9" });

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Configuration));
            Assert.That(error.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("No path to datacenter"));
        });
    }

    [Test]
    public void Acl_not_found_is_forbidden()
    {
        var (client, _) = Client(() => StubHttpHandler.Text(HttpStatusCode.Forbidden, "ACL not found"));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Forbidden));
            Assert.That(error.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("ACL not found"));
        });
    }

    [Test]
    public void Too_many_requests_without_retry_after_is_rate_limited_with_no_delay_prescribed()
    {
        var (client, _) = Client(() => StubHttpHandler.Text(
            HttpStatusCode.TooManyRequests, "Your IP is issuing too many concurrent connections, please rate limit your calls"));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.RateLimited));
            Assert.That(error.RetryAfter, Is.Null);
            Assert.That(error.Message, Does.Contain("too many concurrent connections"));
        });
    }

    [Test]
    public void Too_many_requests_with_retry_after_seconds_carries_the_delay()
    {
        var (client, _) = Client(() =>
        {
            var response = StubHttpHandler.Text(HttpStatusCode.TooManyRequests, "slow down");
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
            return response;
        });

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.RateLimited));
            Assert.That(error.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
        });
    }

    [Test]
    public void Too_many_requests_with_retry_after_date_carries_the_time_left()
    {
        var (client, _) = Client(() =>
        {
            var response = StubHttpHandler.Text(HttpStatusCode.TooManyRequests, "slow down");
            response.Headers.RetryAfter = new RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddSeconds(30));
            return response;
        });

        var error = ReadHealthFails(client);

        Assert.That(error.RetryAfter, Is.InRange(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void Other_client_error_is_an_unexpected_status_carrying_the_body()
    {
        var (client, _) = Client(() => StubHttpHandler.Text(HttpStatusCode.BadRequest, "Invalid wait time"));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.UnexpectedStatus));
            Assert.That(error.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(error.Message, Does.Contain("Invalid wait time"));
        });
    }

    [Test]
    public void Error_body_is_not_read_beyond_the_size_limit()
    {
        // Only the first 200 characters of an error body are kept, yet a proxy's endless or huge error page
        // is read whole into memory; MaxResponseBytes caps only successful answers.
        var stream = new ScriptedBodyStream(Encoding.UTF8.GetBytes(new string('x', 2 * 1024 * 1024)));
        var (client, _) = Client(
            () => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StreamContent(stream) },
            new ConsulOptions { MaxResponseBytes = 64 * 1024 });

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.ServerError));
            Assert.That(stream.BytesRead, Is.LessThanOrEqualTo(64 * 1024), "bytes of the error body read");
        });
    }

    // ---- Connection failures ------------------------------------------------------------------------

    [Test]
    public void Connection_dropped_mid_body_is_unreachable()
    {
        var body = Encoding.UTF8.GetBytes(WebEntries);
        var (client, _) = Client(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new ScriptedBodyStream(body, failAfter: body.Length / 2)) });

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:"));
            Assert.That(error.InnerException, Is.InstanceOf<IOException>());
        });
    }

    [Test]
    public void Connection_refused_is_unreachable()
    {
        var (client, _) = Client(new StubHttpHandler((_, _) => throw new HttpRequestException("Connection refused (consul.test:8500)")));

        var error = ReadHealthFails(client);

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("Connection refused"));
        });
    }

    [Test]
    public void Body_that_stalls_past_the_request_timeout_is_unreachable()
    {
        // Wait = 0 gives the shortest client timeout the options allow: 0 + 0/16 + 5 s margin.
        var options = new ConsulOptions { Wait = TimeSpan.Zero };
        var body = Encoding.UTF8.GetBytes(WebEntries);
        var (client, _) = Client(
            () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new ScriptedBodyStream(body, failAfter: 10, stallInsteadOfFailing: true)) },
            options);

        // The guard only keeps a regression from hanging the run; the client's own timeout must fire first.
        var error = Assert.ThrowsAsync<ConsulException>(
            () => client.GetHealthServiceAsync("web", Blocking, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
            Assert.That(error.Message, Does.StartWith($"Consul {HealthEndpoint}:").And.Contain("no answer within 5 s"));
        });
    }

    [Test]
    public void Cancellation_by_the_caller_is_not_reported_as_a_consul_failure()
    {
        var (client, _) = Client(new StubHttpHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            throw new InvalidOperationException("unreachable");
        }));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.That(() => client.GetHealthServiceAsync("web", Blocking, cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Request_timeout_covers_the_wait_consul_jitter_and_a_margin()
    {
        var options = new ConsulOptions { Wait = TimeSpan.FromMinutes(5) };

        Assert.That(options.RequestTimeout, Is.GreaterThan(TimeSpan.FromMinutes(5) + TimeSpan.FromMinutes(5) / 16));
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    private static (ConsulClient Client, StubHttpHandler Handler) Client(Func<HttpResponseMessage> respond, ConsulOptions? options = null) =>
        Client(new StubHttpHandler(respond), options);

    private static (ConsulClient Client, StubHttpHandler Handler) Client(StubHttpHandler handler, ConsulOptions? options = null)
    {
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://consul.test:8500") };
        return (new ConsulClient(http, options ?? new ConsulOptions()), handler);
    }

    private static ConsulException ReadHealthFails(ConsulClient client) =>
        Assert.ThrowsAsync<ConsulException>(() => client.GetHealthServiceAsync("web", Blocking, CancellationToken.None))!;

    private static HttpResponseMessage BodyOfUndeclaredLength(string body) =>
        new(HttpStatusCode.OK) { Content = new StreamContent(new ScriptedBodyStream(Encoding.UTF8.GetBytes(body))) };

    /// <summary>A valid <c>/v1/catalog/services</c> body of exactly <paramref name="size"/> bytes.</summary>
    private static string PaddedServicesBody(int size)
    {
        const string shell = """{"a":[]}""";
        return shell[..^1] + new string(' ', size - shell.Length) + "}";
    }
}
