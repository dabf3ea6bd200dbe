using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Bridge.Benchmarks.Consul;

/// <summary>
/// A <c>/v1/health/service/:service</c> answer shaped like a real Consul agent's, including the fields the bridge
/// ignores (Raft indexes, tagged addresses, proxy config, check output): decoding has to skip them too.
/// Every benchmark builds its instances from these bytes, so they are the instances the daemon would hold.
/// </summary>
internal static class HealthServiceAnswer
{
    public const int Port = 8080;

    /// <summary>The port <c>changedInstance</c> is moved to: one instance re-registered elsewhere.</summary>
    public const int ChangedPort = 9090;

    /// <summary>
    /// <paramref name="count"/> instances on nodes <c>node-0000</c>, <c>node-0001</c>... (so sorted by key in index order),
    /// spread over three zones, every check passing.
    /// </summary>
    public static byte[] Json(string service, int count, int changedInstance = -1)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < count; i++)
            {
                WriteEntry(json, service, i, i == changedInstance ? ChangedPort : Port);
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static HealthServiceEntry[] Entries(string service, int count, int changedInstance = -1) =>
        JsonSerializer.Deserialize(Json(service, count, changedInstance), ConsulJsonContext.Default.HealthServiceEntryArray)!;

    public static CatalogService Service(string service, int count, int changedInstance = -1) =>
        new(service, 1, InstanceFactory.Build(service, Entries(service, count, changedInstance)));

    private static void WriteEntry(Utf8JsonWriter json, string service, int i, int port)
    {
        var node = string.Create(CultureInfo.InvariantCulture, $"node-{i:D4}");
        var serviceId = string.Create(CultureInfo.InvariantCulture, $"{service}-{i}");
        var address = string.Create(CultureInfo.InvariantCulture, $"10.1.{i / 250}.{(i % 250) + 1}");
        var index = 100 + i;

        json.WriteStartObject();

        json.WriteStartObject("Node");
        json.WriteString("ID", new Guid(i, 0, 0, new byte[8]).ToString());
        json.WriteString("Node", node);
        json.WriteString("Address", address);
        json.WriteString("Datacenter", "dc1");
        json.WriteStartObject("TaggedAddresses");
        json.WriteString("lan", address);
        json.WriteString("lan_ipv4", address);
        json.WriteString("wan", address);
        json.WriteString("wan_ipv4", address);
        json.WriteEndObject();
        json.WriteStartObject("Meta");
        json.WriteString("consul-network-segment", "");
        json.WriteString("zone", string.Create(CultureInfo.InvariantCulture, $"zone-{i % 3}"));
        json.WriteEndObject();
        json.WriteNumber("CreateIndex", index);
        json.WriteNumber("ModifyIndex", index);
        json.WriteEndObject();

        json.WriteStartObject("Service");
        json.WriteString("ID", serviceId);
        json.WriteString("Service", service);
        json.WriteStartArray("Tags");
        json.WriteStringValue("v1");
        json.WriteStringValue("http");
        json.WriteEndArray();
        json.WriteString("Address", address);
        json.WriteStartObject("TaggedAddresses");
        foreach (var name in (ReadOnlySpan<string>)["lan_ipv4", "wan_ipv4"])
        {
            json.WriteStartObject(name);
            json.WriteString("Address", address);
            json.WriteNumber("Port", port);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartObject("Meta");
        json.WriteString("version", "1.4.2");
        json.WriteString("protocol", "http2");
        json.WriteString("outlier_consecutive_5xx", "5");
        json.WriteEndObject();
        json.WriteNumber("Port", port);
        json.WriteStartObject("Weights");
        json.WriteNumber("Passing", 1);
        json.WriteNumber("Warning", 1);
        json.WriteEndObject();
        json.WriteBoolean("EnableTagOverride", false);
        json.WriteStartObject("Proxy");
        json.WriteString("Mode", "");
        json.WriteStartObject("MeshGateway");
        json.WriteEndObject();
        json.WriteStartObject("Expose");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("Connect");
        json.WriteEndObject();
        json.WriteString("PeerName", "");
        json.WriteNumber("CreateIndex", index);
        json.WriteNumber("ModifyIndex", index);
        json.WriteEndObject();

        json.WriteStartArray("Checks");
        WriteCheck(json, node, "serfHealth", "Serf Health Status", "Agent alive and reachable", "", "", "", "", index);
        WriteCheck(json, node, "service:" + serviceId, $"Service '{service}' check", "HTTP GET http://" + address + ":" + port.ToString(CultureInfo.InvariantCulture) + "/health: 200 OK Output: ok", serviceId, service, "http", "10s", index);
        json.WriteEndArray();

        json.WriteEndObject();
    }

    private static void WriteCheck(
        Utf8JsonWriter json, string node, string checkId, string name, string output, string serviceId, string serviceName, string type, string interval, int index)
    {
        json.WriteStartObject();
        json.WriteString("Node", node);
        json.WriteString("CheckID", checkId);
        json.WriteString("Name", name);
        json.WriteString("Status", "passing");
        json.WriteString("Notes", "");
        json.WriteString("Output", output);
        json.WriteString("ServiceID", serviceId);
        json.WriteString("ServiceName", serviceName);
        json.WriteStartArray("ServiceTags");
        json.WriteEndArray();
        json.WriteString("Type", type);
        json.WriteString("Interval", interval);
        json.WriteString("Timeout", interval.Length == 0 ? "" : "1s");
        json.WriteNumber("ExposedPort", 0);
        json.WriteStartObject("Definition");
        json.WriteEndObject();
        json.WriteNumber("CreateIndex", index);
        json.WriteNumber("ModifyIndex", index);
        json.WriteEndObject();
    }
}
