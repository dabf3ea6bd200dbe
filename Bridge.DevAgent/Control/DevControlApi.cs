using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Datacenters;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Control;

/// <summary>
/// The <c>/_dev</c> control API, outside Consul's namespace, so scripts in any language can drive
/// the faults and the catalog and read the counters:
/// <list type="bullet">
/// <item><c>GET|PUT|DELETE /_dev/faults</c>: read, replace (body: <see cref="FaultSettings"/>) or clear the faults.</item>
/// <item><c>GET /_dev/stats</c>: <see cref="DevAgentStatistics"/>.</item>
/// <item><c>GET /_dev/catalog/index</c>, <c>PUT /_dev/catalog/reset-index</c> (body <c>{"Index": n}</c> or <c>?index=n</c>).</item>
/// <item><c>PUT /_dev/catalog/touch/&lt;service&gt;</c>: move a service's index without changing it.</item>
/// <item><c>PUT /_dev/catalog/wipe</c>: the catalog of a cluster rebuilt from scratch; answers <c>{"Index": n}</c>.</item>
/// <item>Each <c>/_dev/catalog</c> path acts on the agent's own datacenter, or on <c>?dc=</c>'s (404 when not served).</item>
/// <item><c>GET /_dev/datacenters</c>: every datacenter served (<see cref="DatacenterStatus"/>), nearest first;
/// <c>PUT /_dev/datacenters/&lt;name&gt;</c> serves one more.</item>
/// <item><c>GET /_dev/acl/tokens</c>: every token (<see cref="AclToken"/>); <c>PUT /_dev/acl/tokens/&lt;secret&gt;</c>
/// with Consul's JSON policy rules (<see cref="AclRules"/>) sets one; <c>DELETE</c> removes it (404 when absent).</item>
/// </list>
/// </summary>
internal sealed class DevControlApi(Federation federation, AclTokens acl, FaultKnobs faults, Func<DevAgentStatistics> statistics, ConsulResponses responses)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/_dev/faults", ["GET"], (RequestDelegate)(c => WriteFaultsAsync(c)));
        app.MapMethods("/_dev/faults", ["PUT"], (RequestDelegate)ApplyFaultsAsync);
        app.MapMethods("/_dev/faults", ["DELETE"], (RequestDelegate)(c =>
        {
            faults.Clear();
            return WriteFaultsAsync(c);
        }));
        app.MapMethods("/_dev/stats", ["GET"], (RequestDelegate)(c => responses.WriteJsonAsync(c, statistics())));
        app.MapMethods("/_dev/catalog/index", ["GET"], (RequestDelegate)(c => WithDatacenterAsync(c, catalog => responses.WriteJsonAsync(c, new IndexReset { Index = catalog.Index }))));
        app.MapMethods("/_dev/catalog/reset-index", ["PUT"], (RequestDelegate)(c => WithDatacenterAsync(c, catalog => ResetIndexAsync(c, catalog))));
        app.MapMethods("/_dev/catalog/touch/{**tail}", ["PUT"], (RequestDelegate)(c => WithDatacenterAsync(c, catalog =>
        {
            var name = c.Request.RouteValues["tail"] as string ?? string.Empty;
            return catalog.TouchService(name)
                ? responses.WriteJsonAsync(c, true)
                : responses.WriteErrorAsync(c, 404, $"Service {ConsulErrors.GoQuote(name)} has no instances");
        })));
        app.MapMethods("/_dev/catalog/wipe", ["PUT"], (RequestDelegate)(c => WithDatacenterAsync(c, catalog => responses.WriteJsonAsync(c, new IndexReset { Index = catalog.Wipe() }))));
        app.MapMethods("/_dev/datacenters", ["GET"], (RequestDelegate)WriteDatacentersAsync);
        app.MapMethods("/_dev/datacenters/{**name}", ["PUT"], (RequestDelegate)(c =>
        {
            try
            {
                federation.Add(c.Request.RouteValues["name"] as string ?? string.Empty);
            }
            catch (ArgumentException ex)
            {
                return responses.WriteErrorAsync(c, 400, ex.Message);
            }

            return WriteDatacentersAsync(c);
        }));
        app.MapMethods("/_dev/acl/tokens", ["GET"], (RequestDelegate)(c => responses.WriteJsonAsync(c, acl.List().ToList())));
        app.MapMethods("/_dev/acl/tokens/{**secret}", ["PUT"], (RequestDelegate)SetTokenAsync);
        app.MapMethods("/_dev/acl/tokens/{**secret}", ["DELETE"], (RequestDelegate)(c =>
            acl.Remove(Secret(c))
                ? responses.WriteJsonAsync(c, true)
                : responses.WriteErrorAsync(c, 404, "No ACL token with that secret")));
    }

    private static string Secret(HttpContext context) => context.Request.RouteValues["secret"] as string ?? string.Empty;

    private Task WithDatacenterAsync(HttpContext context, Func<DevCatalog, Task> act)
    {
        var name = context.Request.Query["dc"].FirstOrDefault() is { Length: > 0 } dc ? dc : federation.Local.Datacenter;
        return federation.Find(name) is { } catalog
            ? act(catalog)
            : responses.WriteErrorAsync(context, 404, $"The dev agent does not serve datacenter {ConsulErrors.GoQuote(name)}");
    }

    private Task WriteDatacentersAsync(HttpContext context) => responses.WriteJsonAsync(
        context,
        federation.All.Select(d => new DatacenterStatus(
            d.Datacenter,
            d == federation.Local,
            d.Datacenter == federation.PrimaryName,
            federation.IsReachable(d.Datacenter),
            d.Index,
            d.ConfigEntriesIndex)).ToList());

    private async Task SetTokenAsync(HttpContext context)
    {
        AclToken token;
        try
        {
            // No body means no rules: a token that exists and may do nothing.
            token = acl.Set(Secret(context), await ReadAsync<AclRules>(context) ?? AclRules.None);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            await responses.WriteErrorAsync(context, 400, "Invalid ACL rules: " + ex.Message);
            return;
        }

        await responses.WriteJsonAsync(context, token);
    }

    private Task WriteFaultsAsync(HttpContext context) =>
        responses.WriteJsonAsync(context, new FaultStatus(faults.Current, faults.Counters));

    private async Task ApplyFaultsAsync(HttpContext context)
    {
        try
        {
            var settings = await ReadAsync<FaultSettings>(context) ?? new FaultSettings();

            // Keep this connection: the answer must reach the script that asked for "down".
            faults.Apply(settings, exceptConnectionId: context.Connection.Id);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            await responses.WriteErrorAsync(context, 400, ex.Message);
            return;
        }

        await WriteFaultsAsync(context);
    }

    private async Task ResetIndexAsync(HttpContext context, DevCatalog catalog)
    {
        ulong to;
        try
        {
            to = context.Request.Query["index"].FirstOrDefault() is { Length: > 0 } raw
                ? ulong.Parse(raw, NumberStyles.None, CultureInfo.InvariantCulture)
                : (await ReadAsync<IndexReset>(context))?.Index ?? throw new FormatException("Give the index as ?index=n or {\"Index\": n}.");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or OverflowException)
        {
            await responses.WriteErrorAsync(context, 400, ex.Message);
            return;
        }

        catalog.ResetIndex(to);
        await responses.WriteJsonAsync(context, new IndexReset { Index = catalog.Index });
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context)
        where T : class
    {
        if (context.Request.ContentLength == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0)
        {
            return null;
        }

        buffer.Position = 0;
        return (T?)await JsonSerializer.DeserializeAsync(buffer, typeof(T), DevAgentJsonContext.Default, context.RequestAborted);
    }
}
