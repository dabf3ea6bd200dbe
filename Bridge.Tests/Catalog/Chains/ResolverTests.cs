using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class ResolverTests
{
    [Test]
    public void Redirect_to_another_service_resolves_that_service_instead()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Redirect":{"Service":"web-next"}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes, Is.EqualTo(new[] { CatchAll(To(T("web-next"))) }));
            Assert.That(chain.Targets, Is.EqualTo(new[] { Plain(T("web-next")) }));
        });
    }

    [Test]
    public void Redirect_to_another_datacenter_keeps_the_service()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Redirect":{"Datacenter":"dc2"}}"""));

        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(To(T("web", "", "dc2"))));
    }

    [Test]
    public void Redirects_are_followed_until_stable_and_a_new_service_resets_the_subset_to_its_default()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-router","Name":"web","Routes":[{"Destination":{"ServiceSubset":"v1"}}]}""",
            """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{}},"Redirect":{"Service":"api"}}""",
            """{"Kind":"service-resolver","Name":"api","Redirect":{"Service":"api2","Datacenter":"dc3"}}""",
            """{"Kind":"service-resolver","Name":"api2","DefaultSubset":"stable","Subsets":{"stable":{"Filter":"\"stable\" in Service.Tags"}}}""",
            Defaults("api", "http"),
            Defaults("api2", "http")));

        Assert.Multiple(() =>
        {
            // web.v1 -> api (subset reset) -> api2 in dc3 -> api2's default subset.
            Assert.That(chain.Routes[0].Destination, Is.EqualTo(To(T("api2", "stable", "dc3"))));
            Assert.That(chain.Target(T("api2", "stable", "dc3")).Subset, Is.EqualTo(new SubsetSelection("\"stable\" in Service.Tags", false)));
        });
    }

    [Test]
    public void Redirect_to_a_subset_of_the_same_service_stops_there()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Subsets":{"v2":{}},"Redirect":{"Service":"web","ServiceSubset":"v2"}}"""));

        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(To(T("web", "v2"))));
    }

    [Test]
    public void Redirects_that_come_back_to_a_target_already_seen_fail_naming_the_resolver_that_closes_the_cycle()
    {
        var error = Failed("a", Set(
            """{"Kind":"service-resolver","Name":"a","Redirect":{"Service":"b"}}""",
            """{"Kind":"service-resolver","Name":"b","Redirect":{"Service":"c"}}""",
            """{"Kind":"service-resolver","Name":"c","Redirect":{"Service":"a"}}"""));

        Assert.That(error, Is.EqualTo(new ChainError("a", "service-resolver", "c", "redirect cycle: a.dc1 -> b.dc1 -> c.dc1 -> a.dc1")));
    }

    [Test]
    public void Default_subset_applies_when_none_is_asked_for_and_an_explicit_subset_wins()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/canary"}},"Destination":{"ServiceSubset":"canary"}}]}""",
            """{"Kind":"service-resolver","Name":"web","DefaultSubset":"stable","Subsets":{"stable":{"Filter":"Service.Meta.track != canary"},"canary":{"Filter":"Service.Meta.track == canary"}}}"""));

        Assert.That(chain.Routes.Select(r => r.Destination), Is.EqualTo(new[] { To(T("web", "canary")), To(T("web", "stable")) }));
    }

    [Test]
    public void Resolver_sets_the_targets_timeouts_and_load_balancer()
    {
        var chain = Compiled("web", Set("""
            {"Kind":"service-resolver","Name":"web","ConnectTimeout":"250ms","RequestTimeout":"30s",
             "LoadBalancer":{"Policy":"ring_hash","RingHashConfig":{"MinimumRingSize":1024,"MaximumRingSize":8192},
               "HashPolicies":[
                 {"Field":"header","FieldValue":"x-user"},
                 {"Field":"cookie","FieldValue":"session","CookieConfig":{"TTL":60000000000,"Path":"/"},"Terminal":true},
                 {"Field":"query_parameter","FieldValue":"id"},
                 {"SourceIP":true}]}}
            """));

        Assert.That(chain.Targets.Single(), Is.EqualTo(new Target(
            T("web"),
            null,
            TimeSpan.FromMilliseconds(250),
            TimeSpan.FromSeconds(30),
            new LoadBalancer(LoadBalancerPolicy.RingHash, 1024, 8192, null,
            [
                new HashPolicy(HashPolicyKind.Header, "x-user", false, null),
                new HashPolicy(HashPolicyKind.Cookie, "session", true, new HashCookie(false, TimeSpan.FromMinutes(1), "/")),
                new HashPolicy(HashPolicyKind.QueryParameter, "id", false, null),
                new HashPolicy(HashPolicyKind.SourceIp, "", false, null),
            ]),
            [])));
    }

    [TestCase("", "RoundRobin")]
    [TestCase("round_robin", "RoundRobin")]
    [TestCase("least_request", "LeastRequest")]
    [TestCase("random", "Random")]
    [TestCase("maglev", "Maglev")]
    public void Load_balancer_policy_is_mapped(string policy, string expected)
    {
        var chain = Compiled("web", Set($$$"""{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"{{{policy}}}"}}"""));

        Assert.That(chain.Targets.Single().LoadBalancer!.Policy, Is.EqualTo(Enum.Parse<LoadBalancerPolicy>(expected)));
    }

    [Test]
    public void Least_request_choice_count_is_carried()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"least_request","LeastRequestConfig":{"ChoiceCount":4}}}"""));

        Assert.That(chain.Targets.Single().LoadBalancer, Is.EqualTo(new LoadBalancer(LoadBalancerPolicy.LeastRequest, null, null, 4, [])));
    }

    [Test]
    public void Connect_timeout_defaults_to_five_seconds()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","RequestTimeout":"1s"}"""));

        Assert.That(chain.Targets.Single().ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void A_redirected_target_takes_the_options_of_the_resolver_it_lands_on()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-resolver","Name":"web","ConnectTimeout":"9s","Redirect":{"Service":"api"}}""",
            """{"Kind":"service-resolver","Name":"api","ConnectTimeout":"2s"}"""));

        Assert.That(chain.Targets.Single(), Is.EqualTo(Plain(T("api")) with { ConnectTimeout = TimeSpan.FromSeconds(2) }));
    }
}
