using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Bridge.LoadTest.Fleet;

/// <summary>Reads what a proxy needs from serialised resources without decoding them whole.</summary>
internal static class ResourceName
{
    /// <summary>
    /// Field 1 of a Cluster, ClusterLoadAssignment, Listener or RouteConfiguration is its name: read just that,
    /// so thousands of streams can follow thousands of resources without unpacking each.
    /// </summary>
    public static string Read(ByteString body)
    {
        var input = body.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == 10)
            {
                return input.ReadString();
            }

            input.SkipLastField();
        }

        return "";
    }

    /// <summary>The RouteConfiguration an Envoy listener's HTTP connection manager asks for over RDS, if any.</summary>
    public static string? RouteOf(ByteString listenerBody)
    {
        var listener = Listener.Parser.ParseFrom(listenerBody);
        foreach (var chain in listener.FilterChains)
        {
            foreach (var filter in chain.Filters)
            {
                if (filter.TypedConfig is { } config && config.Is(HttpConnectionManager.Descriptor))
                {
                    var manager = config.Unpack<HttpConnectionManager>();
                    if (manager.Rds is { } rds)
                    {
                        return rds.RouteConfigName;
                    }
                }
            }
        }

        return null;
    }
}
