using Google.Protobuf.Reflection;

namespace Bridge.Daemon.Admin;

/// <summary>The message types that may sit inside an Any in what the bridge serves, for JSON rendering.</summary>
internal static class XdsTypeRegistry
{
    public static TypeRegistry Value { get; } = TypeRegistry.FromMessages(
        Envoy.Config.Cluster.V3.Cluster.Descriptor,
        Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Descriptor,
        Envoy.Config.Listener.V3.Listener.Descriptor,
        Envoy.Config.Route.V3.RouteConfiguration.Descriptor,
        Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Descriptor,
        Envoy.Extensions.Filters.Http.Router.V3.Router.Descriptor,
        Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions.Descriptor);
}
