using System.Text.Json;
using Bridge.DevAgent.Catalog;
using Microsoft.AspNetCore.Http;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Handlers of the Consul HTTP API paths the agent serves. Reads follow agent/http.go's order
/// (method, parameters, datacenter, ACL, blocking query, meta headers, then handler-level filters such
/// as <c>?passing</c>); writes go through <see cref="DevCatalog"/>, which raises Consul's errors.
/// </summary>
internal sealed class ConsulApi(
    DevCatalog catalog,
    DevAgentOptions options,
    BlockingQueryRunner runner,
    ConsulResponses responses,
    Func<int> connectionLimit)
{
    private static readonly string[] GetOnly = ["GET"];
    private static readonly string[] PutOnly = ["PUT"];

    public Task CatalogServicesAsync(HttpContext context) => ReadAsync(
        context,
        q => q.NodeMeta.Count == 0
            ? [ChangeSignals.ServicesScope]
            : [ChangeSignals.ServicesScope, ChangeSignals.NodesScope],
        (state, q) =>
        {
            var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var name in state.ServicesByName.Keys)
            {
                var tags = new HashSet<string>(StringComparer.Ordinal);
                var any = false;
                foreach (var (node, service) in state.Instances(name))
                {
                    if (q.MatchesNodeMeta(node.Node.Meta))
                    {
                        any = true;
                        tags.UnionWith(service.Tags);
                    }
                }

                if (any)
                {
                    // Consul builds the lists from a Go map: de-duplicated, in no particular order.
                    var shuffled = tags.ToArray();
                    Random.Shared.Shuffle(shuffled);
                    result[name] = [.. shuffled];
                }
            }

            var index = q.NodeMeta.Count == 0 ? state.ServicesIndex : Math.Max(state.ServicesIndex, state.NodesIndex);
            return (index, result);
        },
        () => []);

    public Task CatalogServiceAsync(HttpContext context)
    {
        var name = RouteTail(context);
        if (name.Length == 0)
        {
            return MissingAsync(context, ConsulErrors.MissingServiceName);
        }

        var tags = context.Request.Query["tag"].OfType<string>().ToArray();
        return ReadAsync(
            context,
            _ => [ChangeSignals.ServiceScope(name)],
            (state, q) => (state.ServiceIndex(name), state.Instances(name)
                .Where(i => HasTags(i.Service, tags) && q.MatchesNodeMeta(i.Node.Node.Meta))
                .Select(i => CatalogServiceEntry.From(i.Node.Node, i.Service))
                .ToList()),
            () => []);
    }

    public Task CatalogNodesAsync(HttpContext context) => ReadAsync(
        context,
        _ => [ChangeSignals.NodesScope],
        (state, q) => (state.NodesIndex, state.Nodes.Values
            .Select(n => n.Node)
            .Where(n => q.MatchesNodeMeta(n.Meta))
            .ToList()),
        () => []);

    public async Task CatalogDatacentersAsync(HttpContext context)
    {
        if (await AllowMethodAsync(context, GetOnly))
        {
            await responses.WriteJsonAsync(context, new[] { catalog.Datacenter });
        }
    }

    public Task HealthServiceAsync(HttpContext context)
    {
        var name = RouteTail(context);
        if (name.Length == 0)
        {
            return MissingAsync(context, ConsulErrors.MissingServiceName);
        }

        var tags = context.Request.Query["tag"].OfType<string>().ToArray();
        return ReadAsync(
            context,
            _ => [ChangeSignals.ServiceScope(name)],
            (state, q) => (state.ServiceIndex(name), state.Instances(name)
                .Where(i => HasTags(i.Service, tags) && q.MatchesNodeMeta(i.Node.Node.Meta))
                .Select(i => new HealthServiceEntry(i.Node.Node, i.Service, i.Node.ChecksOf(i.Service.Id)))
                .ToList()),
            () => [],
            entries =>
            {
                // Parsed after the query, as Consul does, so a bad value still carries the index headers.
                if (!TryGetBool(context.Request.Query, "passing", out var passingOnly))
                {
                    return (entries, ConsulErrors.InvalidPassing);
                }

                return passingOnly
                    ? (entries.Where(e => e.Checks.All(c => c.Status == CheckStatuses.Passing)).ToList(), null)
                    : (entries, null);
            });
    }

    public Task HealthStateAsync(HttpContext context)
    {
        // The server accepts any state: an unknown one simply matches no check.
        var wanted = RouteTail(context);
        if (wanted.Length == 0)
        {
            return MissingAsync(context, ConsulErrors.MissingCheckState);
        }

        return ReadAsync(
            context,
            _ => [ChangeSignals.ChecksScope],
            (state, q) => (state.ChecksIndex, state.Nodes.Values
                .Where(n => q.MatchesNodeMeta(n.Node.Meta))
                .SelectMany(n => n.Checks.Values)
                .Where(c => wanted == "any" || c.Status == wanted)
                .ToList()),
            () => []);
    }

    /// <summary>
    /// <c>/v1/agent/self</c>: needs <c>agent:read</c> on the agent's node, so unlike catalog reads it is refused, not
    /// filtered, for the anonymous token. <c>DebugConfig.HTTPMaxConnsPerClient</c> is the limit new connections meet.
    /// </summary>
    public async Task AgentSelfAsync(HttpContext context)
    {
        if (!await AllowMethodAsync(context, GetOnly))
        {
            return;
        }

        var acl = Acl.Resolve(options.RequiredToken, Tokens.From(context.Request));
        if (acl != AclOutcome.Allowed)
        {
            await responses.WriteErrorAsync(context, 403, acl == AclOutcome.NotFound ? ConsulErrors.AclNotFound : ConsulErrors.PermissionDenied);
            return;
        }

        var node = catalog.State.Nodes[catalog.NodeName].Node;
        await responses.WriteJsonAsync(context, new AgentSelf(
            new AgentSelfConfig(catalog.Datacenter, catalog.Datacenter, catalog.NodeName, node.Id, Server: true, DevCatalog.ConsulVersion),
            new AgentDebugConfig(catalog.Datacenter, catalog.NodeName, GoDuration.Format(options.DefaultWait), GoDuration.Format(options.MaxWait), connectionLimit()),
            new AgentMember(catalog.NodeName, catalog.NodeAddress, 8301, Status: 1)));
    }

    public async Task StatusLeaderAsync(HttpContext context)
    {
        if (await AllowMethodAsync(context, GetOnly))
        {
            await responses.WriteJsonAsync(context, catalog.NodeAddress + ":8300");
        }
    }

    public Task AgentServiceRegisterAsync(HttpContext context) => WriteAsync<AgentServiceRegistration>(context, registration =>
    {
        var query = context.Request.Query;
        var replace = query.TryGetValue("replace-existing-checks", out var values)
            && (values.FirstOrDefault() is null or "" or "true");
        catalog.RegisterAgentService(registration, replace);
        return false;
    });

    public Task AgentServiceDeregisterAsync(HttpContext context) => WriteAsync(context, () =>
    {
        catalog.DeregisterAgentService(RouteTail(context));
        return false;
    });

    public Task AgentCheckPassAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Passing);

    public Task AgentCheckWarnAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Warning);

    public Task AgentCheckFailAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Critical);

    public Task AgentCheckUpdateAsync(HttpContext context) => WriteAsync<CheckUpdate>(context, update =>
    {
        var status = update.Status ?? string.Empty;
        if (!CheckStatuses.IsValid(status))
        {
            throw new DevAgentException(400, ConsulErrors.InvalidCheckStatusUpdate(status));
        }

        catalog.UpdateTtlCheck(RouteTail(context), status, update.Output ?? string.Empty);
        return false;
    });

    public Task AgentServiceMaintenanceAsync(HttpContext context)
    {
        var serviceId = RouteTail(context);
        if (serviceId.Length == 0)
        {
            return MissingAsync(context, ConsulErrors.MissingServiceId, PutOnly);
        }

        return WriteAsync(context, () =>
        {
            var enable = RequireEnable(context);
            catalog.SetServiceMaintenance(serviceId, enable, context.Request.Query["reason"].FirstOrDefault());
            return false;
        });
    }

    public Task AgentNodeMaintenanceAsync(HttpContext context) => WriteAsync(context, () =>
    {
        var enable = RequireEnable(context);
        catalog.SetNodeMaintenance(enable, context.Request.Query["reason"].FirstOrDefault());
        return false;
    });

    public Task CatalogRegisterAsync(HttpContext context) => WriteAsync<CatalogRegistration>(context, registration =>
    {
        catalog.RegisterCatalogEntry(registration);
        return true;
    });

    public Task CatalogDeregisterAsync(HttpContext context) => WriteAsync<CatalogDeregistration>(context, deregistration =>
    {
        catalog.DeregisterCatalogEntry(deregistration);
        return true;
    });

    public Task NotFoundAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == "/")
        {
            return responses.WriteErrorAsync(context, 200, "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.");
        }

        return responses.WriteErrorAsync(context, 404, path.Contains("/v1/", StringComparison.Ordinal) ? ConsulErrors.NotApiPath : ConsulErrors.NotV1Path);
    }

    /// <summary>Go's <c>strconv.ParseBool</c>.</summary>
    private static bool TryParseGoBool(string value, out bool result)
    {
        switch (value)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                result = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    private static string RouteTail(HttpContext context) => context.Request.RouteValues["tail"] as string ?? string.Empty;

    // Tag filtering on the server is case-insensitive (state store serviceTagFilter).
    private static bool HasTags(ServiceRecord service, string[] tags) =>
        tags.All(tag => service.Tags.Any(t => string.Equals(t, tag, StringComparison.OrdinalIgnoreCase)));

    /// <summary>agent/health_endpoint.go <c>getBoolQueryParam</c>: a bare flag is true, otherwise ParseBool.</summary>
    private static bool TryGetBool(IQueryCollection query, string key, out bool value)
    {
        value = false;
        if (!query.TryGetValue(key, out var values))
        {
            return true;
        }

        var raw = values.FirstOrDefault() ?? string.Empty;
        if (raw.Length == 0)
        {
            value = true;
            return true;
        }

        return TryParseGoBool(raw, out value);
    }

    private static bool RequireEnable(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("enable", out var values))
        {
            throw new DevAgentException(400, ConsulErrors.MissingEnable);
        }

        var raw = values.FirstOrDefault() ?? string.Empty;
        return TryParseGoBool(raw, out var enable) ? enable : throw new DevAgentException(400, ConsulErrors.InvalidEnable(raw));
    }

    private Task TtlUpdateAsync(HttpContext context, string status) => WriteAsync(context, () =>
    {
        catalog.UpdateTtlCheck(RouteTail(context), status, context.Request.Query["note"].FirstOrDefault() ?? string.Empty);
        return false;
    });

    private async Task MissingAsync(HttpContext context, string message, string[]? methods = null)
    {
        if (await AllowMethodAsync(context, methods ?? GetOnly))
        {
            await responses.WriteErrorAsync(context, 400, message);
        }
    }

    private async Task ReadAsync<T>(
        HttpContext context,
        Func<QueryOptions, string[]> scopes,
        Func<CatalogState, QueryOptions, (ulong Index, T Value)> query,
        Func<T> filteredByAcl,
        Func<T, (T Value, string? Error)>? afterQuery = null)
    {
        if (!await AllowMethodAsync(context, GetOnly))
        {
            return;
        }

        if (!QueryOptions.TryParse(context.Request, catalog.Datacenter, out var request, out var error))
        {
            await responses.WriteErrorAsync(context, 400, error);
            return;
        }

        if (request.Datacenter != catalog.Datacenter)
        {
            await responses.WriteErrorAsync(context, 500, ConsulErrors.NoPathToDatacenter);
            return;
        }

        var acl = Acl.Resolve(options.RequiredToken, request.Token);
        if (acl == AclOutcome.NotFound)
        {
            await responses.WriteErrorAsync(context, 403, ConsulErrors.AclNotFound);
            return;
        }

        (ulong Index, T Value) result;
        try
        {
            result = await runner.RunAsync(request, scopes(request), state => query(state, request), context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        SetQueryMeta(context.Response, result.Index, request);

        // The anonymous token may read nothing: results are filtered silently, not refused.
        var value = acl == AclOutcome.Anonymous ? filteredByAcl() : result.Value;
        if (afterQuery is not null)
        {
            var (filtered, problem) = afterQuery(value);
            if (problem is not null)
            {
                await responses.WriteErrorAsync(context, 400, problem);
                return;
            }

            value = filtered;
        }

        await responses.WriteJsonAsync(context, value);
    }

    private async Task WriteAsync(HttpContext context, Func<bool> write)
    {
        if (!await AllowMethodAsync(context, PutOnly))
        {
            return;
        }

        try
        {
            await AuthorizeAndApplyAsync(context, write);
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    private async Task WriteAsync<TBody>(HttpContext context, Func<TBody, bool> write)
        where TBody : class, new()
    {
        if (!await AllowMethodAsync(context, PutOnly))
        {
            return;
        }

        try
        {
            var body = await DecodeAsync<TBody>(context);
            await AuthorizeAndApplyAsync(context, () => write(body));
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    /// <param name="write">Applies the write; returns true when Consul answers <c>true</c> rather than an empty body.</param>
    private async Task AuthorizeAndApplyAsync(HttpContext context, Func<bool> write)
    {
        var acl = Acl.Resolve(options.RequiredToken, Tokens.From(context.Request));
        if (acl != AclOutcome.Allowed)
        {
            throw new DevAgentException(403, acl == AclOutcome.NotFound ? ConsulErrors.AclNotFound : ConsulErrors.PermissionDenied);
        }

        if (write())
        {
            await responses.WriteJsonAsync(context, true);
        }
    }

    private static async Task<TBody> DecodeAsync<TBody>(HttpContext context)
        where TBody : class, new()
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0)
        {
            // Go's decoder on an empty body.
            throw new DevAgentException(400, ConsulErrors.RequestDecodeFailed("EOF"));
        }

        buffer.Position = 0;
        try
        {
            return (TBody?)await JsonSerializer.DeserializeAsync(buffer, typeof(TBody), DevAgentJsonContext.Default, context.RequestAborted)
                ?? new TBody();
        }
        catch (JsonException ex)
        {
            throw new DevAgentException(400, ConsulErrors.RequestDecodeFailed(ex.Message));
        }
    }

    private static void SetQueryMeta(HttpResponse response, ulong index, QueryOptions request)
    {
        var headers = response.Headers;

        // Consul never sends 0: clients would loop without blocking (agent/http.go setIndex).
        headers["X-Consul-Index"] = Math.Max(index, 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["X-Consul-KnownLeader"] = "true";
        headers["X-Consul-LastContact"] = "0";
        headers["X-Consul-Effective-Consistency"] = request.ConsistencyLevel;
        headers["X-Consul-Query-Backend"] = "blocking-query";
    }

    private async Task<bool> AllowMethodAsync(HttpContext context, string[] methods)
    {
        var method = context.Request.Method;
        if (methods.Contains(method, StringComparer.Ordinal))
        {
            return true;
        }

        context.Response.Headers.Allow = "OPTIONS," + string.Join(',', methods);
        if (method != HttpMethods.Options)
        {
            await responses.WriteErrorAsync(context, 405, ConsulErrors.MethodNotAllowed(method));
        }

        return false;
    }
}
