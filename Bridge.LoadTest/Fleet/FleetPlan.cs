using Bridge.LoadTest.Scenarios;

namespace Bridge.LoadTest.Fleet;

/// <summary>The shapes of a run's streams, reproducible from its seed.</summary>
internal static class FleetPlan
{
    /// <summary>
    /// Wildcard and scoped streams, shuffled together so every wave mixes them; about <see cref="RunSettings.DeltaShare"/>
    /// of each on delta; half the wildcard subscriptions say <c>*</c>, half use the legacy empty list.
    /// </summary>
    public static IReadOnlyList<ProxyShape> Shapes(RunSettings settings)
    {
        var random = new Random(settings.Seed);
        var shapes = new List<ProxyShape>(settings.TotalStreams);
        for (var i = 0; i < settings.WildcardStreams; i++)
        {
            shapes.Add(new ProxyShape(random.NextDouble() < settings.DeltaShare, null, i % 2 == 0));
        }

        // Replicas share their service's list: stream i declares list i mod (distinct lists).
        var scopeSize = Math.Min(settings.ScopeSize, settings.Services);
        var distinct = Math.Min(settings.ScopedStreams, settings.DistinctScopes > 0 ? settings.DistinctScopes : settings.Services);
        var scopes = new List<int[]>(distinct);
        for (var d = 0; d < distinct; d++)
        {
            var scope = new HashSet<int>();
            if (settings.ScopeIncludesHot)
            {
                scope.Add(0);
            }

            while (scope.Count < scopeSize)
            {
                scope.Add(random.Next(settings.Services));
            }

            scopes.Add([.. scope.Order()]);
        }

        for (var i = 0; i < settings.ScopedStreams; i++)
        {
            shapes.Add(new ProxyShape(random.NextDouble() < settings.DeltaShare, scopes[i % distinct], i % 2 == 0));
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shapes));
        return shapes;
    }

    /// <summary>For each service, how many of <paramref name="shapes"/> subscribe to it.</summary>
    public static int[] Subscribers(IReadOnlyList<ProxyShape> shapes, int services)
    {
        var counts = new int[services];
        var wildcard = 0;
        foreach (var shape in shapes)
        {
            if (shape.Scope is null)
            {
                wildcard++;
                continue;
            }

            foreach (var service in shape.Scope)
            {
                counts[service]++;
            }
        }

        for (var s = 0; s < services; s++)
        {
            counts[s] += wildcard;
        }

        return counts;
    }
}
