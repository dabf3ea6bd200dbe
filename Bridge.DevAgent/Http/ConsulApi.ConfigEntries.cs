using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.ConfigEntries;
using Bridge.DevAgent.Filtering;

namespace Bridge.DevAgent.Http;

/// <summary>
/// <c>/v1/config</c>, as agent/config_endpoint.go and agent/consul/config_endpoint.go serve it:
/// <list type="bullet">
/// <item><c>PUT /v1/config[?cas=n]</c>: body is the entry with <c>Kind</c> and <c>Name</c>; answers <c>true</c>, or
/// <c>false</c> when the check-and-set failed. Decoding problems are 400 <c>Request decoding failed: ...</c>, refusals by
/// Consul's rules 500 with Consul's text, missing permission 403.</item>
/// <item><c>GET /v1/config/&lt;kind&gt;</c> (every kind when empty): the entries the token may read (service:read on each
/// name). A blocking list wakes only when what it returns changes; its index is the <c>config-entries</c> table's.</item>
/// <item><c>GET /v1/config/&lt;kind&gt;/&lt;name&gt;</c>: the entry, or 404 <c>Config entry not found for "kind" / "name"</c>
/// with the index headers; 403 without service:read on the name. A blocking read wakes only when that entry changes.</item>
/// <item><c>DELETE /v1/config/&lt;kind&gt;/&lt;name&gt;[?cas=n]</c>: answers <c>{}</c> (with cas: <c>true</c>/<c>false</c>).</item>
/// </list>
/// </summary>
internal sealed partial class ConsulApi
{
    private static readonly string[] GetOrDelete = ["GET", "DELETE"];

    private static readonly EmptyObject Deleted = EmptyObject.Instance;

    /// <summary><c>PUT /v1/config</c>.</summary>
    public async Task ConfigApplyAsync(HttpContext context)
    {
        // Go's mux tells "/v1/config/" (every kind) from "/v1/config"; ASP.NET's routing does not.
        if (context.Request.Path.Value?.EndsWith('/') == true)
        {
            await ConfigAsync(context);
            return;
        }

        if (!await AllowMethodAsync(context, PutOnly))
        {
            return;
        }

        try
        {
            var entry = ConfigEntryDecoder.Decode(await ReadBodyAsync(context));
            var cas = Cas(context.Request);
            var primary = federation.Primary();
            var written = primary.ApplyConfigEntry(entry, cas, Authorize(context));
            await responses.WriteJsonAsync(context, written);
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    /// <summary><c>GET|DELETE /v1/config/&lt;kind&gt;[/&lt;name&gt;]</c>.</summary>
    public async Task ConfigAsync(HttpContext context)
    {
        if (!await AllowMethodAsync(context, GetOrDelete))
        {
            return;
        }

        // strings.SplitN(path, "/", 2): the name keeps any further slashes.
        var path = RouteTail(context);
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var (kind, name) = slash < 0 ? (path, (string?)null) : (path[..slash], path[(slash + 1)..]);
        if (context.Request.Method == HttpMethods.Delete)
        {
            await ConfigDeleteAsync(context, kind, name);
        }
        else if (name is null)
        {
            await ConfigListAsync(context, kind);
        }
        else
        {
            await ConfigGetAsync(context, kind, name);
        }
    }

    private Task ConfigGetAsync(HttpContext context, string kind, string name) => ReadAsync<ConfigEntry?>(
        context,
        _ => [ChangeSignals.ConfigEntryScope(kind, name)],
        (state, _, _) =>
        {
            var entry = state.ConfigEntries.GetValueOrDefault(ConfigEntryKey.Of(kind, name));
            return new QueryResult<ConfigEntry?>(state.ConfigEntriesIndex, entry, false) { NotFound = entry is null };
        },
        entry => entry is null
            ? (entry, new DevAgentException(404, $"Config entry not found for {ConsulErrors.GoQuote(kind)} / {ConsulErrors.GoQuote(name)}"))
            : (entry, null),
        beforeQuery: authz =>
        {
            // ConfigEntry.Get: MakeConfigEntry(kind, name), then CanRead on it.
            if (!ConfigEntryKinds.IsKnown(kind))
            {
                return new DevAgentException(500, $"invalid config entry kind: {kind}");
            }

            return ConfigEntryKinds.IsSupported(kind) && !authz.ServiceRead(name) ? authz.Denied("service", "read", name) : null;
        },
        filterIgnored: true);

    private Task ConfigListAsync(HttpContext context, string kind)
    {
        string? prior = null;
        return ReadAsync(
            context,
            _ => [ChangeSignals.ConfigEntriesScope],
            (state, q, authz) =>
            {
                var readable = new List<ConfigEntry>();
                var filtered = false;
                foreach (var entry in state.ConfigEntriesOf(kind))
                {
                    if (authz.ServiceRead(entry.Name))
                    {
                        readable.Add(entry);
                    }
                    else
                    {
                        filtered = true;
                    }
                }

                // ConfigEntry.List hashes what the token may read: a run that finds the same does not end a blocking query.
                var fingerprint = string.Join('\n', readable.Select(e => $"{e.Kind}/{e.Name}/{e.ModifyIndex}"));
                var unchanged = prior == fingerprint;
                prior = fingerprint;
                var entries = readable.Where(q.Keeps).ToList();
                return new QueryResult<List<ConfigEntry>>(state.ConfigEntriesIndex, entries, filtered)
                {
                    Unchanged = unchanged,
                    NotFound = !unchanged && entries.Count == 0,
                };
            },
            filterSchema: kind == ConfigEntryKinds.ServiceDefaults ? ConsulSelectors.ServiceDefaults : null,
            beforeQuery: _ =>
            {
                if (kind.Length > 0 && !ConfigEntryKinds.IsKnown(kind))
                {
                    return new DevAgentException(500, $"invalid config entry kind: {kind}");
                }

                return context.Request.Query["filter"].FirstOrDefault() is { Length: > 0 } && kind != ConfigEntryKinds.ServiceDefaults
                    ? new DevAgentException(500, $"filtering not supported for config entry kind={kind}")
                    : null;
            });
    }

    // agent/config_endpoint.go configDelete: the path, the kind (400), ?cas (500), then ConfigEntry.Delete in the primary.
    private async Task ConfigDeleteAsync(HttpContext context, string kind, string? name)
    {
        try
        {
            if (name is null)
            {
                throw new DevAgentException(404, "Must provide both a kind and name to delete");
            }

            if (!ConfigEntryKinds.IsKnown(kind))
            {
                throw new DevAgentException(400, $"invalid config entry kind: {kind}");
            }

            var cas = Cas(context.Request);
            var primary = federation.Primary();
            var authorize = Authorize(context);

            // No entry of a kind the dev agent does not store can exist: deleting one is the no-op of an absent entry.
            var removed = !ConfigEntryKinds.IsSupported(kind) || primary.DeleteConfigEntry(kind, name, cas, authorize);
            if (cas is null)
            {
                await responses.WriteJsonAsync(context, Deleted);
            }
            else
            {
                await responses.WriteJsonAsync(context, removed);
            }
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    private Authorizer Authorize(HttpContext context) =>
        acl.Resolve(Tokens.From(context.Request)) ?? throw new DevAgentException(403, ConsulErrors.AclNotFound);

    // ?cas=n; Consul returns strconv's error as is, which reaches the client as a 500.
    private static ulong? Cas(HttpRequest request)
    {
        if (request.Query["cas"].FirstOrDefault() is not { Length: > 0 } raw)
        {
            return null;
        }

        if (ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var cas))
        {
            return cas;
        }

        var why = raw.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
        throw new DevAgentException(500, $"strconv.ParseUint: parsing {ConsulErrors.GoQuote(raw)}: {why}");
    }

    private static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0)
        {
            throw new DevAgentException(400, "Request decoding failed: EOF");
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.ToArray(), DevAgentJsonContext.Default.JsonElement);
        }
        catch (JsonException ex)
        {
            throw new DevAgentException(400, "Request decoding failed: " + ex.Message);
        }
    }
}
