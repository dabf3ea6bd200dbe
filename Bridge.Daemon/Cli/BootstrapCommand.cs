using System.Text;
using System.Text.Json.Nodes;
using Bridge.Core.Configuration;
using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Cli;

/// <summary>
/// <c>bootstrap envoy|grpc --node-id X [--cluster C] [--services a,b] [--service-name S] [--xds-address host:port]</c>: prints a
/// bootstrap that points a proxy (or a proxyless gRPC application) at this bridge over ADS.
/// </summary>
internal static class BootstrapCommand
{
    public static int Run(string[] args, BridgeSettings settings, TextWriter output, TextWriter error)
    {
        if (args.Length < 2 || args[1] is not ("envoy" or "grpc"))
        {
            error.WriteLine("usage: consul-xds-bridge bootstrap envoy|grpc --node-id ID [--cluster NAME] [--services a,b,c] [--service-name NAME] [--xds-address HOST:PORT]");
            return 2;
        }

        string? Option(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var nodeId = Option("--node-id");
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            error.WriteLine("bootstrap: --node-id is required: it names this proxy in the bridge's logs and /debug/clients");
            return 2;
        }

        var xds = Option("--xds-address") ?? settings.Ads.Listen;
        if (!ListenAddress.TryParse(xds, out var endpoint))
        {
            error.WriteLine($"bootstrap: --xds-address '{xds}' is not host:port with an IP literal host");
            return 2;
        }

        var services = Option("--services");
        var serviceName = Option("--service-name");

        // Envoy's convention: a node's cluster is the service it belongs to.
        var cluster = Option("--cluster") ?? (string.IsNullOrWhiteSpace(serviceName) ? nodeId : serviceName);
        output.Write(args[1] == "envoy"
            ? Envoy(nodeId, cluster, services, endpoint.Address.ToString(), endpoint.Port, settings, serviceName)
            : Grpc(nodeId, cluster, services, endpoint.ToString(), settings, serviceName));
        return 0;
    }

    internal static string Grpc(string nodeId, string cluster, string? services, string server, BridgeSettings settings, string? serviceName = null)
    {
        var metadata = new JsonObject { [settings.Ads.ClientKindMetadataKey] = "grpc" };
        if (!string.IsNullOrWhiteSpace(services))
        {
            metadata[settings.Ads.ServicesMetadataKey] = services;
        }

        if (!string.IsNullOrWhiteSpace(serviceName))
        {
            metadata[settings.Ads.ServiceNameMetadataKey] = serviceName;
        }

        var bootstrap = new JsonObject
        {
            ["xds_servers"] = new JsonArray(new JsonObject
            {
                ["server_uri"] = server,
                ["channel_creds"] = new JsonArray(new JsonObject { ["type"] = "insecure" }),
                // ignore_resource_deletion (gRFC A53): when a service's last instance leaves, its Listener and Cluster
                // drop out of SotW answers. Without this feature grpc-js-xds treats them as deleted and ignores them
                // when the service returns unchanged, so the channel never recovers; with it the client keeps them
                // and the service's empty assignment fails RPCs UNAVAILABLE until instances are back.
                ["server_features"] = new JsonArray("xds_v3", "ignore_resource_deletion"),
            }),
            ["node"] = new JsonObject
            {
                ["id"] = nodeId,
                ["cluster"] = cluster,
                // gRPC clients refuse a bootstrap whose node has no locality.
                ["locality"] = new JsonObject(),
                ["metadata"] = metadata,
            },
        };
        return bootstrap.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }

    internal static string Envoy(string nodeId, string cluster, string? services, string host, int port, BridgeSettings settings, string? serviceName = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Envoy bootstrap for node {nodeId}: everything else comes from consul-xds-bridge over ADS.");
        sb.AppendLine("node:");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  id: {Quote(nodeId)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  cluster: {Quote(cluster)}");
        sb.AppendLine("  metadata:");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    {settings.Ads.ClientKindMetadataKey}: envoy");
        if (!string.IsNullOrWhiteSpace(services))
        {
            sb.AppendLine("    # The services this proxy calls: it receives only their clusters, endpoints and routes.");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    {settings.Ads.ServicesMetadataKey}: {Quote(services)}");
        }

        if (!string.IsNullOrWhiteSpace(serviceName))
        {
            sb.AppendLine("    # The service this proxy belongs to: its service-defaults UpstreamConfig shapes the clusters it gets.");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    {settings.Ads.ServiceNameMetadataKey}: {Quote(serviceName)}");
        }

        sb.AppendLine("dynamic_resources:");
        sb.AppendLine("  ads_config:");
        sb.AppendLine("    api_type: GRPC");
        sb.AppendLine("    transport_api_version: V3");
        sb.AppendLine("    grpc_services:");
        sb.AppendLine("      - envoy_grpc:");
        sb.AppendLine("          cluster_name: consul_xds_bridge");
        sb.AppendLine("  cds_config:");
        sb.AppendLine("    ads: {}");
        sb.AppendLine("    resource_api_version: V3");
        sb.AppendLine("  lds_config:");
        sb.AppendLine("    ads: {}");
        sb.AppendLine("    resource_api_version: V3");
        sb.AppendLine("static_resources:");
        sb.AppendLine("  clusters:");
        sb.AppendLine("    - name: consul_xds_bridge");
        sb.AppendLine("      type: STATIC");
        sb.AppendLine("      connect_timeout: 1s");
        sb.AppendLine("      typed_extension_protocol_options:");
        sb.AppendLine("        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:");
        sb.AppendLine("          \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
        sb.AppendLine("          explicit_http_config:");
        sb.AppendLine("            http2_protocol_options: {}");
        sb.AppendLine("      load_assignment:");
        sb.AppendLine("        cluster_name: consul_xds_bridge");
        sb.AppendLine("        endpoints:");
        sb.AppendLine("          - lb_endpoints:");
        sb.AppendLine("              - endpoint:");
        sb.AppendLine("                  address:");
        sb.AppendLine(CultureInfo.InvariantCulture, $"                    socket_address: {{ address: {host}, port_value: {port} }}");
        sb.AppendLine("admin:");
        sb.AppendLine("  address:");
        sb.AppendLine("    socket_address: { address: 127.0.0.1, port_value: 9901 }");
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Applications send HTTP to {settings.Xds.EnvoyListenerAddress}:{settings.Xds.EnvoyListenerPort} with Host: <service> or <service>.service.consul.");
        return sb.ToString();
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, BootstrapJsonContext.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class BootstrapJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
