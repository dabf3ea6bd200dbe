namespace Bridge.Tests.Catalog;

public sealed class CatalogDiffTests
{
    [Test]
    public void Identical_lists_have_no_differences()
    {
        ImmutableArray<ServiceInstance> list = [Instance("n1", "a"), Instance("n2", "a")];

        var (added, removed, changed) = CatalogDiff.Instances(list, [.. list.Select(i => i with { })]);

        Assert.That(added.Length + removed.Length + changed.Length, Is.Zero);
    }

    [Test]
    public void Added_removed_and_changed_instances_are_told_apart()
    {
        ImmutableArray<ServiceInstance> before = [Instance("n1", "a"), Instance("n2", "a"), Instance("n3", "a")];
        ImmutableArray<ServiceInstance> after = [Instance("n0", "a"), Instance("n2", "a", port: 9999), Instance("n3", "a"), Instance("n4", "a")];

        var (added, removed, changed) = CatalogDiff.Instances(before, after);

        Assert.Multiple(() =>
        {
            Assert.That(added.Select(i => i.Key.Node), Is.EqualTo(new[] { "n0", "n4" }));
            Assert.That(removed.Select(i => i.Key.Node), Is.EqualTo(new[] { "n1" }));
            Assert.That(changed.Select(i => (i.Key.Node, i.Port)), Is.EqualTo(new[] { ("n2", 9999) }), "a changed instance is reported as it is now");
        });
    }

    [Test]
    public void Everything_added_to_an_empty_list()
    {
        var (added, removed, changed) = CatalogDiff.Instances([], [Instance("n1", "a"), Instance("n1", "b")]);

        Assert.Multiple(() =>
        {
            Assert.That(added, Has.Length.EqualTo(2));
            Assert.That(removed, Is.Empty);
            Assert.That(changed, Is.Empty);
        });
    }

    [Test]
    public void Everything_removed_to_an_empty_list()
    {
        var (added, removed, changed) = CatalogDiff.Instances([Instance("n1", "a"), Instance("n1", "b")], []);

        Assert.Multiple(() =>
        {
            Assert.That(added, Is.Empty);
            Assert.That(removed, Has.Length.EqualTo(2));
            Assert.That(changed, Is.Empty);
        });
    }

    [TestCase("health")]
    [TestCase("address")]
    [TestCase("weight")]
    [TestCase("tags")]
    [TestCase("meta")]
    [TestCase("nodemeta")]
    public void Any_field_change_is_a_change(string field)
    {
        var before = Instance("n1", "a");
        var after = field switch
        {
            "health" => before with { Health = HealthState.Critical },
            "address" => before with { Address = "10.0.0.99" },
            "weight" => before with { PassingWeight = 5 },
            "tags" => before with { Tags = ["x"] },
            "meta" => before with { Meta = ImmutableSortedDictionary<string, string>.Empty.Add("k", "v") },
            "nodemeta" => before with { NodeMeta = ImmutableSortedDictionary<string, string>.Empty.Add("zone", "b") },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        var (_, _, changed) = CatalogDiff.Instances([before], [after]);

        Assert.That(changed, Has.Length.EqualTo(1));
    }

    internal static ServiceInstance Instance(string node, string id, int port = 8080) => new()
    {
        Service = "web",
        Key = new InstanceKey(node, id),
        Address = "10.0.0.1",
        Port = port,
        Health = HealthState.Passing,
        Datacenter = "dc1",
    };
}
