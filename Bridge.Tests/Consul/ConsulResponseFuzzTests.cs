using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

/// <summary>
/// Feeds mutated Consul answers (flipped bytes, truncation, wrong types, garbage, nulls, huge numbers, odd
/// indexes) through the real client, watcher, catalog store and xDS cache. Nothing may throw out of the pipeline,
/// and every instance ever published must be one read whole from an entry that reads on its own in some answer that
/// was a valid JSON array (an entry our model cannot hold costs that entry, not the answer; an instance served before
/// keeps its last state while Consul lists it unreadably), never a half-read one; the last answer is served exactly.
/// </summary>
[TestFixture]
public sealed class ConsulResponseFuzzTests
{
    private const int Mutations = 10_000;

    private static readonly string ValidBody = """
        [{"Node":{"ID":"n1","Node":"node-1","Address":"10.0.0.1","Datacenter":"dc1","TaggedAddresses":{"lan":"10.0.0.1"},"Meta":{"zone":"a"}},
          "Service":{"ID":"web-1","Service":"web","Tags":["v1","http","v1"],"Address":"10.0.1.1","Meta":{"protocol":"http"},"Port":8080,"Weights":{"Passing":3,"Warning":1}},
          "Checks":[{"Node":"node-1","CheckID":"serfHealth","Name":"Serf","Status":"passing","ServiceID":""},
                    {"Node":"node-1","CheckID":"service:web-1","Name":"ttl","Status":"passing","ServiceID":"web-1","ServiceName":"web"}]},
         {"Node":{"ID":"n2","Node":"node-2","Address":"10.0.0.2","Datacenter":"dc1","Meta":{"zone":"b"}},
          "Service":{"ID":"web-2","Service":"web","Tags":[],"Address":"","Port":8081},
          "Checks":[{"Node":"node-2","CheckID":"service:web-2","Status":"warning","ServiceID":"web-2"}]}]
        """;

    [Test]
    public async Task Ten_thousand_mutated_answers_never_escape_and_only_valid_answers_are_served()
    {
        var random = new Random(20261127);
        var bodies = new Queue<(string Body, string Index)>();
        var expected = new ConcurrentDictionary<string, byte>();
        Expect(expected, Parse(ValidBody)!.Value);
        bodies.Enqueue((ValidBody, "10"));
        var index = 10;
        for (var i = 0; i < Mutations; i++)
        {
            var body = Mutate(ValidBody, random);
            var header = random.Next(20) switch
            {
                0 => "garbage",
                1 => "0",
                2 => "",
                3 => (index - 5).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => (++index).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            bodies.Enqueue((body, header));
            if (Parse(body) is { } parsed)
            {
                Expect(expected, parsed);
            }
        }

        const string finalBody = """[{"Node":{"Node":"node-9","Address":"10.9.9.9","Datacenter":"dc1"},"Service":{"ID":"web-9","Service":"web","Port":9999},"Checks":[]}]""";
        bodies.Enqueue((finalBody, (index + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Expect(expected, Parse(finalBody)!.Value);

        var handler = new FuzzHandler(bodies);
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://consul.test") };
        var options = new ConsulOptions
        {
            Wait = TimeSpan.FromSeconds(1),
            MinQueryInterval = TimeSpan.Zero,
            RetryBaseDelay = TimeSpan.FromTicks(1),
            RetryMaxDelay = TimeSpan.FromTicks(2),
            IndexlessPollInterval = TimeSpan.FromTicks(1),
            MaxResponseBytes = 4096,
        };
        var watcher = new CatalogWatcher(new ConsulClient(http, options), options, NullLogger<CatalogWatcher>.Instance);
        var store = new CatalogStore(NullLogger<CatalogStore>.Instance, new CatalogOptions { QuietPeriod = TimeSpan.Zero, MaxDelay = TimeSpan.Zero });
        store.Apply([.. ConsulFeed.NoRouting()]);
        var cache = new XdsCache(new XdsOptions { Unhealthy = UnhealthyMapping.Unhealthy }, NullLogger<XdsCache>.Instance);
        var unexpected = new ConcurrentQueue<string>();
        var final = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Subscribe((snapshot, diff) =>
        {
            if (snapshot.Services.TryGetValue("web", out var web))
            {
                foreach (var instance in web.Instances)
                {
                    if (!expected.ContainsKey(Key(instance)))
                    {
                        unexpected.Enqueue(Key(instance));
                    }
                }

                if (web.Instances is [{ Key.ServiceId: "web-9" }])
                {
                    final.TrySetResult();
                }
            }

            cache.Apply(snapshot, diff);
        });

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = Channel.CreateUnbounded<ConsulEvent>();
        var storeLoop = store.RunAsync(events.Reader, cts.Token);
        var watchLoop = watcher.RunAsync(events.Writer, cts.Token);

        await final.Task.WaitAsync(cts.Token);
        await cts.CancelAsync();
        Assert.That(await Outcome(watchLoop), Is.Null.Or.InstanceOf<OperationCanceledException>(), "the watcher loop ended only by cancellation");
        Assert.That(await Outcome(storeLoop), Is.Null.Or.InstanceOf<OperationCanceledException>(), "the store loop ended only by cancellation");

        Assert.Multiple(() =>
        {
            Assert.That(handler.Served, Is.GreaterThanOrEqualTo(Mutations), "every mutated answer was read by the watcher");
            Assert.That(unexpected, Is.Empty, "a published instance was not read whole from any valid answer");
            Assert.That(store.Current.Services["web"].Instances.Select(Key), Is.EqualTo(Parse(finalBody)!.Value.Select(Key)), "the last answer is served as it is");
            Assert.That(cache.Current.Get(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment).ByName.ContainsKey("web"), Is.True);
        });
    }

    private static async Task<Exception?> Outcome(Task loop)
    {
        try
        {
            await loop;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>The instances a valid answer holds: the array's elements that deserialise on their own (split by JsonDocument).</summary>
    private static ImmutableArray<ServiceInstance>? Parse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var entries = new List<HealthServiceEntry>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                try
                {
                    if (element.Deserialize(ConsulJsonContext.Default.HealthServiceEntry) is { } entry)
                    {
                        entries.Add(entry);
                    }
                }
                catch (JsonException)
                {
                }
            }

            return InstanceFactory.Build("web", entries);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Expect(ConcurrentDictionary<string, byte> expected, ImmutableArray<ServiceInstance> instances)
    {
        foreach (var instance in instances)
        {
            expected[Key(instance)] = 0;
        }
    }

    private static string Key(ServiceInstance i) =>
        $"{i.Key}@{i.Address}:{i.Port}/{i.Health}/{i.PassingWeight}/{i.WarningWeight}/{string.Join(',', i.Tags)}/{string.Join(',', i.Meta)}/{string.Join(',', i.NodeMeta)}/{i.Datacenter}";

    private static string Mutate(string body, Random random)
    {
        var chars = body.ToCharArray().ToList();
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(9))
            {
                case 0:
                    chars[at] = (char)random.Next(32, 127);
                    break;
                case 1:
                    chars.RemoveRange(at, chars.Count - at);
                    break;
                case 2:
                    chars.RemoveAt(at);
                    break;
                case 3:
                    chars.InsertRange(at, "\"x\"");
                    break;
                case 4:
                    chars.InsertRange(at, "null,");
                    break;
                case 5:
                    chars.InsertRange(at, "99999999999999999999");
                    break;
                case 6:
                    chars.InsertRange(at, new string('[', random.Next(1, 80)));
                    break;
                case 7:
                    return body.Replace("8080", random.Next(3) switch { 0 => "\"8080\"", 1 => "-1", _ => "70000" }, StringComparison.Ordinal);
                default:
                    return body.Replace("\"passing\"", random.Next(2) == 0 ? "\"unknown\"" : "7", StringComparison.Ordinal);
            }

            if (chars.Count == 0)
            {
                break;
            }
        }

        return new string([.. chars]);
    }

    /// <summary>Answers the service list once and then the scripted health answers in order, one per request.</summary>
    private sealed class FuzzHandler : HttpMessageHandler
    {
        private readonly Queue<(string Body, string Index)> _bodies;
        private int _served;

        public FuzzHandler(Queue<(string Body, string Index)> bodies) => _bodies = bodies;

        public int Served => Volatile.Read(ref _served);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/v1/catalog/services")
            {
                if (request.RequestUri.Query.Contains("index=", StringComparison.Ordinal))
                {
                    // The service list never changes: hold the blocking query until the test ends.
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                return Answer("""{"web":["http"]}""", "5");
            }

            if (!path.StartsWith("/v1/health/service/", StringComparison.Ordinal))
            {
                // Routing reads (config entries, datacenters) are not what this test mutates: they never answer.
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            (string Body, string Index) next;
            bool any;
            lock (_bodies)
            {
                any = _bodies.TryDequeue(out next);
            }

            if (!any)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            Interlocked.Increment(ref _served);
            return Answer(next.Body, next.Index);
        }

        private static HttpResponseMessage Answer(string body, string index)
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            response.Headers.TryAddWithoutValidation("X-Consul-Index", index);
            return response;
        }
    }
}
