using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class ServiceFilterTests
{
    private static readonly Dictionary<string, string[]?> Catalog = new()
    {
        ["consul"] = [],
        ["web"] = ["http", "public"],
        ["web-admin"] = ["http", "internal"],
        ["webhook"] = ["http"],
        ["api"] = ["grpc", "public"],
        ["api-v2"] = ["grpc", "canary"],
        ["legacy"] = null,
    };

    [Test]
    public void No_filters_watch_every_service()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions());

        Assert.That(watched, Is.EqualTo(Catalog.Keys.Order(StringComparer.Ordinal)));
    }

    [Test]
    public void Include_by_exact_name_watches_only_that_name()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["web"] });

        Assert.That(watched, Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public void Include_with_trailing_star_matches_the_prefix()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["web*", "api"] });

        Assert.That(watched, Is.EqualTo(new[] { "api", "web", "web-admin", "webhook" }));
    }

    [Test]
    public void Star_is_only_a_wildcard_at_the_end()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["*-admin", "w*b"] });

        Assert.That(watched, Is.Empty);
    }

    [Test]
    public void Names_match_case_sensitively()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["Web", "API*"] });

        Assert.That(watched, Is.Empty);
    }

    [Test]
    public void Exclude_by_exact_name_and_by_prefix()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { ExcludeServices = ["consul", "api*"] });

        Assert.That(watched, Is.EqualTo(new[] { "legacy", "web", "web-admin", "webhook" }));
    }

    [Test]
    public void Exclude_wins_over_include()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["web*"], ExcludeServices = ["web-admin"] });

        Assert.That(watched, Is.EqualTo(new[] { "web", "webhook" }));
    }

    [Test]
    public void Include_tags_keep_services_carrying_any_of_them()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeTags = ["public", "canary"] });

        Assert.That(watched, Is.EqualTo(new[] { "api", "api-v2", "web" }));
    }

    [Test]
    public void Exclude_tags_drop_services_carrying_any_of_them()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { ExcludeTags = ["internal", "canary"] });

        Assert.That(watched, Is.EqualTo(new[] { "api", "consul", "legacy", "web", "webhook" }));
    }

    [Test]
    public void Exclude_tag_wins_over_include_tag()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeTags = ["http"], ExcludeTags = ["internal"] });

        Assert.That(watched, Is.EqualTo(new[] { "web", "webhook" }));
    }

    [Test]
    public void Exclude_tag_wins_over_included_name()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["web"], ExcludeTags = ["public"] });

        Assert.That(watched, Is.Empty);
    }

    [Test]
    public void Name_and_tag_includes_must_both_match()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeServices = ["web*"], IncludeTags = ["public"] });

        Assert.That(watched, Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public void Service_without_tags_is_dropped_by_an_include_tag_filter()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeTags = ["http", "grpc"] });

        Assert.That(watched, Has.No.Member("legacy").And.No.Member("consul"));
    }

    [Test]
    public void Tags_match_case_sensitively()
    {
        var watched = ServiceFilter.Apply(Catalog, new ConsulOptions { IncludeTags = ["PUBLIC"] });

        Assert.That(watched, Is.Empty);
    }

    [Test]
    public void Empty_service_name_is_never_watched()
    {
        var watched = ServiceFilter.Apply(new Dictionary<string, string[]?> { [""] = [], ["web"] = [] }, new ConsulOptions());

        Assert.That(watched, Is.EqualTo(new[] { "web" }));
    }
}
