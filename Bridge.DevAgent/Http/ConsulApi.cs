using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Datacenters;
using Bridge.DevAgent.Faults;
using Bridge.DevAgent.Filtering;
using Microsoft.AspNetCore.Http.Features;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Handlers of the Consul HTTP API paths the agent serves. Reads follow agent/http.go's order
/// (method, parameters, datacenter, ACL, <c>?filter</c>, blocking query, meta headers, then handler-level filters such
/// as <c>?passing</c>), drop what the token may not read as Consul's aclfilter does, then apply the filter expression
/// to what is left; writes go through <see cref="DevCatalog"/>, which raises Consul's errors, and resolve the token
/// where Consul's endpoint does. <c>?dc=</c> routes a read to that datacenter's catalog (<see cref="Federation"/>).
/// </summary>
internal sealed partial class ConsulApi(
    Federation federation,
    AclTokens acl,
    FaultKnobs faults,
    BlockingQueryRunner runner,
    ConsulResponses responses,
    Func<int> connectionLimit)
{
    private static readonly string[] GetOnly = ["GET"];
    private static readonly string[] PutOnly = ["PUT"];

    private DevCatalog Local => federation.Local;

    /// <summary>Service names with their tags; names the token may not read are dropped (aclfilter <c>filterServices</c>).</summary>
    public Task CatalogServicesAsync(HttpContext context) => ReadAsync(
        context,
        q => q.NodeMeta.Count == 0
            ? [ChangeSignals.ServicesScope]
            : [ChangeSignals.ServicesScope, ChangeSignals.NodesScope],
        (state, q, authz) =>
        {
            var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var filtered = false;
            foreach (var name in state.ServicesByName.Keys)
            {
                var tags = new HashSet<string>(StringComparer.Ordinal);
                var any = false;
                foreach (var (node, service) in state.Instances(name))
                {
                    if (q.MatchesNodeMeta(node.Node.Meta) && (q.Filter is null || q.Keeps(CatalogServiceEntry.From(node.Node, service))))
                    {
                        any = true;
                        tags.UnionWith(service.Tags);
                    }
                }

                if (!any)
                {
                    continue;
                }

                if (!authz.ServiceRead(name))
                {
                    filtered = true;
                    continue;
                }

                // Consul builds the lists from a Go map: de-duplicated, in no particular order.
                var shuffled = tags.ToArray();
                Random.Shared.Shuffle(shuffled);
                result[name] = [.. shuffled];
            }

            var index = q.NodeMeta.Count == 0 ? state.ServicesIndex : Math.Max(state.ServicesIndex, state.NodesIndex);
            return new QueryResult<Dictionary<string, List<string>>>(index, result, filtered);
        },
        filterSchema: ConsulSelectors.ServiceNode);

    /// <summary>Instances of a service, flattened; ACLs drop those whose node or service the token may not read.</summary>
    public Task CatalogServiceAsync(HttpContext context) =>
        ServiceInstancesAsync(context, i => CatalogServiceEntry.From(i.Node.Node, i.Service), ConsulSelectors.ServiceNode);

    public Task CatalogNodesAsync(HttpContext context) => ReadAsync(
        context,
        _ => [ChangeSignals.NodesScope],
        (state, q, authz) => Filtered(
            state.NodesIndex,
            state.Nodes.Values.Select(n => n.Node).Where(n => q.MatchesNodeMeta(n.Meta)),
            n => authz.NodeRead(n.Node),
            n => n,
            q.Keeps),
        filterSchema: ConsulSelectors.Node);

    public async Task CatalogDatacentersAsync(HttpContext context)
    {
        if (await AllowMethodAsync(context, GetOnly))
        {
            // Nearest first: the local datacenter, then the others by distance.
            await responses.WriteJsonAsync(context, federation.Names.ToArray());
        }
    }

    /// <summary>
    /// Instances of a service with their checks; ACLs drop entries whose node or service the token may not read
    /// (CheckServiceNode.CanRead), then <c>?passing</c> drops the unhealthy ones.
    /// </summary>
    public Task HealthServiceAsync(HttpContext context) => ServiceInstancesAsync(
        context,
        i => new HealthServiceEntry(i.Node.Node, i.Service, i.Node.ChecksOf(i.Service.Id)),
        ConsulSelectors.CheckServiceNode,
        entries =>
        {
            // Parsed after the query, as Consul does, so a bad value still carries the index headers.
            if (!TryGetBool(context.Request.Query, "passing", out var passingOnly))
            {
                return (entries, new DevAgentException(400, ConsulErrors.InvalidPassing));
            }

            return passingOnly
                ? (entries.Where(e => e.Checks.All(c => c.Status == CheckStatuses.Passing)).ToList(), null)
                : (entries, null);
        });

    /// <summary>
    /// The instances of the service the path names, with every <c>?tag</c> and the <c>?node-meta</c> asked for, each
    /// one the token may read (its node and its service) given as <paramref name="entry"/> makes it.
    /// </summary>
    private Task ServiceInstancesAsync<T>(
        HttpContext context,
        Func<(NodeEntry Node, ServiceRecord Service), T> entry,
        FilterField filterSchema,
        Func<List<T>, (List<T> Value, DevAgentException? Error)>? afterQuery = null)
        where T : notnull
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
            (state, q, authz) => Filtered(
                state.ServiceIndex(name),
                state.Instances(name).Where(i => HasTags(i.Service, tags) && q.MatchesNodeMeta(i.Node.Node.Meta)),
                i => CanRead(authz, i.Node.Node, i.Service),
                entry,
                q.Keeps),
            afterQuery,
            filterSchema);
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
            (state, q, authz) => Filtered(
                state.ChecksIndex,
                state.Nodes.Values
                    .Where(n => q.MatchesNodeMeta(n.Node.Meta))
                    .SelectMany(n => n.Checks.Values)
                    .Where(c => wanted == "any" || c.Status == wanted),
                c => authz.NodeRead(c.Node) && (c.ServiceName.Length == 0 || authz.ServiceRead(c.ServiceName)),
                c => c,
                q.Keeps),
            filterSchema: ConsulSelectors.HealthCheck);
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

        var authz = acl.Resolve(Tokens.From(context.Request));
        if (authz is null)
        {
            await responses.WriteErrorAsync(context, 403, ConsulErrors.AclNotFound);
            return;
        }

        if (!authz.AgentRead(Local.NodeName))
        {
            await responses.WriteErrorAsync(context, authz.Denied("agent", "read", Local.NodeName));
            return;
        }

        var node = Local.State.Nodes[Local.NodeName].Node;
        await responses.WriteJsonAsync(context, new AgentSelf(
            new AgentSelfConfig(Local.Datacenter, Local.Datacenter, Local.NodeName, node.Id, Server: true, DevCatalog.ConsulVersion),
            new AgentDebugConfig(Local.Datacenter, Local.NodeName, connectionLimit()),
            new AgentMember(Local.NodeName, Local.NodeAddress, 8301, Status: 1)));
    }

    public async Task StatusLeaderAsync(HttpContext context)
    {
        if (await AllowMethodAsync(context, GetOnly))
        {
            await responses.WriteJsonAsync(context, Local.NodeAddress + ":8300");
        }
    }

    public Task AgentServiceRegisterAsync(HttpContext context) => WriteAsync<AgentServiceRegistration>(context, (registration, authorize) =>
    {
        var query = context.Request.Query;
        var replace = query.TryGetValue("replace-existing-checks", out var values)
            && (values.FirstOrDefault() is null or "" or "true");

        // AgentRegisterService checks the name and address before it resolves the token, the rest after.
        AgentRegistrations.CheckNameAndAddress(registration);
        Local.RegisterAgentService(registration, replace, authorize());
        return false;
    });

    public Task AgentServiceDeregisterAsync(HttpContext context) => WriteAsync(context, authorize =>
    {
        Local.DeregisterAgentService(RouteTail(context), authorize());
        return false;
    });

    public Task AgentCheckPassAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Passing);

    public Task AgentCheckWarnAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Warning);

    public Task AgentCheckFailAsync(HttpContext context) => TtlUpdateAsync(context, CheckStatuses.Critical);

    public Task AgentCheckUpdateAsync(HttpContext context) => WriteAsync<CheckUpdate>(context, (update, authorize) =>
    {
        var status = update.Status ?? string.Empty;
        if (!CheckStatuses.IsValid(status))
        {
            throw new DevAgentException(400, ConsulErrors.InvalidCheckStatusUpdate(status));
        }

        Local.UpdateTtlCheck(RouteTail(context), status, update.Output ?? string.Empty, authorize());
        return false;
    });

    public Task AgentServiceMaintenanceAsync(HttpContext context)
    {
        var serviceId = RouteTail(context);
        if (serviceId.Length == 0)
        {
            return MissingAsync(context, ConsulErrors.MissingServiceId, PutOnly);
        }

        return WriteAsync(context, authorize =>
        {
            var enable = RequireEnable(context);
            Local.SetServiceMaintenance(serviceId, enable, context.Request.Query["reason"].FirstOrDefault(), authorize());
            return false;
        });
    }

    public Task AgentNodeMaintenanceAsync(HttpContext context) => WriteAsync(context, authorize =>
    {
        var enable = RequireEnable(context);
        Local.SetNodeMaintenance(enable, context.Request.Query["reason"].FirstOrDefault(), authorize());
        return false;
    });

    public Task CatalogRegisterAsync(HttpContext context) => WriteAsync<CatalogRegistration>(context, (registration, authorize) =>
    {
        // Forwarding to the datacenter the body names comes first (?dc= plays no part), then Catalog.Register resolves the token.
        var target = federation.Route(string.IsNullOrEmpty(registration.Datacenter) ? Local.Datacenter : registration.Datacenter);
        target.RegisterCatalogEntry(registration, authorize());
        return true;
    });

    public Task CatalogDeregisterAsync(HttpContext context) => WriteAsync<CatalogDeregistration>(context, (deregistration, authorize) =>
    {
        // Catalog.Deregister: datacenter, then the node, then the token.
        var target = federation.Route(string.IsNullOrEmpty(deregistration.Datacenter) ? Local.Datacenter : deregistration.Datacenter);
        if (string.IsNullOrEmpty(deregistration.Node))
        {
            throw new DevAgentException(500, ConsulErrors.MissingNode);
        }

        target.DeregisterCatalogEntry(deregistration, authorize());
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

    /// <summary>
    /// The path after the route's prefix, unescaped as Go's server unescapes <c>URL.Path</c> for Consul's handlers:
    /// fully, so a service named <c>team/web</c> is reached as <c>team%2Fweb</c> (ASP.NET keeps <c>%2F</c> escaped).
    /// </summary>
    private static string RouteTail(HttpContext context)
    {
        var tail = context.Request.RouteValues["tail"] as string ?? string.Empty;
        var path = context.Request.Path.Value ?? string.Empty;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!tail.Contains('%', StringComparison.Ordinal) || raw is null || !raw.StartsWith('/') || tail.Length > path.Length)
        {
            return tail;
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var decoded = Uri.UnescapeDataString(query < 0 ? raw : raw[..query]);
        var prefix = path.Length - tail.Length;
        return decoded.Length >= prefix ? decoded[prefix..] : tail;
    }

    private static bool CanRead(Authorizer authz, NodeRecord node, ServiceRecord service) =>
        authz.NodeRead(node.Node) && authz.ServiceRead(service.Service);

    /// <summary>
    /// Applies an ACL filter to a query's items, noting whether it removed any, then the <c>?filter</c> expression to what is
    /// left: since Consul 1.20 the expression sees only what the token may read, so the header means what it means without one.
    /// </summary>
    private static QueryResult<List<TOut>> Filtered<TIn, TOut>(
        ulong index,
        IEnumerable<TIn> items,
        Func<TIn, bool> allowed,
        Func<TIn, TOut> shape,
        Func<object, bool> keep)
        where TOut : notnull
    {
        var result = new List<TOut>();
        var filtered = false;
        foreach (var item in items)
        {
            if (!allowed(item))
            {
                filtered = true;
                continue;
            }

            var shaped = shape(item);
            if (keep(shaped))
            {
                result.Add(shaped);
            }
        }

        return new QueryResult<List<TOut>>(index, result, filtered);
    }

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

    private Task TtlUpdateAsync(HttpContext context, string status) => WriteAsync(context, authorize =>
    {
        Local.UpdateTtlCheck(RouteTail(context), status, context.Request.Query["note"].FirstOrDefault() ?? string.Empty, authorize());
        return false;
    });

    private async Task MissingAsync(HttpContext context, string message, string[]? methods = null)
    {
        if (await AllowMethodAsync(context, methods ?? GetOnly))
        {
            await responses.WriteErrorAsync(context, 400, message);
        }
    }

    /// <summary>
    /// A read in agent/http.go's order: method, parameters, datacenter (500 when unknown or unreachable), token (403
    /// <c>ACL not found</c>), the endpoint's own checks (<paramref name="beforeQuery"/>), the filter expression (500 when
    /// invalid; 400 on an endpoint that takes none), then the (blocking) query, which resolves the token again on every run
    /// as the server's <c>filterACL</c> does, then the meta headers and the handler-level checks and filters.
    /// </summary>
    /// <param name="filterSchema">What a <c>?filter</c> expression selects on this endpoint; null when it takes none.</param>
    /// <param name="filterIgnored">The endpoint reads no <c>?filter</c> at all (Consul parses it and never uses it).</param>
    /// <param name="beforeQuery">Checks after the token, before the query (e.g. the config entry kind); a refusal carries no index.</param>
    private async Task ReadAsync<T>(
        HttpContext context,
        Func<QueryOptions, string[]> scopes,
        Func<CatalogState, QueryOptions, Authorizer, QueryResult<T>> query,
        Func<T, (T Value, DevAgentException? Error)>? afterQuery = null,
        FilterField? filterSchema = null,
        Func<Authorizer, DevAgentException?>? beforeQuery = null,
        bool filterIgnored = false)
    {
        if (!await AllowMethodAsync(context, GetOnly))
        {
            return;
        }

        if (!QueryOptions.TryParse(context.Request, Local.Datacenter, out var request, out var error))
        {
            await responses.WriteErrorAsync(context, 400, error);
            return;
        }

        DevCatalog datacenter;
        try
        {
            datacenter = federation.Route(request.Datacenter);
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
            return;
        }

        if (acl.Resolve(request.Token) is not { } authorizer)
        {
            await responses.WriteErrorAsync(context, 403, ConsulErrors.AclNotFound);
            return;
        }

        if (beforeQuery?.Invoke(authorizer) is { } refusal)
        {
            await responses.WriteErrorAsync(context, refusal);
            return;
        }

        if (request.FilterExpression.Length > 0 && !filterIgnored)
        {
            if (filterSchema is null)
            {
                // Better a clear refusal than unfiltered results a client would take as filtered.
                await responses.WriteErrorAsync(context, 400, ConsulErrors.FilterUnsupported);
                return;
            }

            try
            {
                request = request with { Filter = Filter.Create(request.FilterExpression, filterSchema) };
            }
            catch (FilterException ex)
            {
                // The server refuses the expression; the RPC error reaches the client as a 500.
                await responses.WriteErrorAsync(context, 500, ex.Message);
                return;
            }
        }

        // Followers lag only in the agent's own datacenter: another datacenter's servers answer as its leader does.
        var stale = request.AllowStale && datacenter == Local ? faults.StaleReads : null;
        if (stale is not null && request.MaxStale > TimeSpan.Zero && request.MaxStale < stale.LastContact)
        {
            // agent/health_endpoint.go and catalog_endpoint.go (RETRY_ONCE): an answer older than max_stale is
            // not used; the agent asks again without ?stale, and the leader answers.
            request = request with { AllowStale = false, MaxStale = TimeSpan.Zero };
            stale = null;
        }

        var runs = 0;
        QueryResult<T> Run()
        {
            if (runs++ > 0 && datacenter != Local)
            {
                federation.RequireStillReachable(datacenter);
            }

            var authz = acl.Resolve(request.Token) ?? throw new DevAgentException(403, ConsulErrors.AclNotFound);
            return query(stale is { Lagging: true } ? stale.View(datacenter) : datacenter.State, request, authz);
        }

        QueryResult<T> result;
        try
        {
            // A lagging view moves with every write, whatever it touched.
            var watched = stale is { Lagging: true } ? [ChangeSignals.AnyScope] : scopes(request);
            result = await runner.RunAsync(datacenter, request, watched, Run, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
            return;
        }

        SetQueryMeta(context.Response, result.Index, request, stale);

        // agent/consul/rpc.go maskResultsFilteredByACLs: only a request that sent a token learns that ACLs hid something.
        if (result.FilteredByAcls && request.Token.Length > 0)
        {
            context.Response.Headers["X-Consul-Results-Filtered-By-ACLs"] = "true";
        }

        if (stale is not null)
        {
            faults.CountStaleRead();
        }

        var value = result.Value;
        if (afterQuery is not null)
        {
            var (checkedValue, problem) = afterQuery(value);
            if (problem is not null)
            {
                await responses.WriteErrorAsync(context, problem);
                return;
            }

            value = checkedValue;
        }

        await responses.WriteJsonAsync(context, value);
    }

    /// <param name="write">Applies the write, resolving the token (403 <c>ACL not found</c>) at the point Consul does.</param>
    private async Task WriteAsync(HttpContext context, Func<Func<Authorizer>, bool> write)
    {
        if (!await AllowMethodAsync(context, PutOnly))
        {
            return;
        }

        try
        {
            await ApplyAsync(context, write);
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    private async Task WriteAsync<TBody>(HttpContext context, Func<TBody, Func<Authorizer>, bool> write)
        where TBody : class, new()
    {
        if (!await AllowMethodAsync(context, PutOnly))
        {
            return;
        }

        try
        {
            var body = await DecodeAsync<TBody>(context);
            await ApplyAsync(context, authorize => write(body, authorize));
        }
        catch (DevAgentException ex)
        {
            await responses.WriteErrorAsync(context, ex);
        }
    }

    /// <param name="write">Returns true when Consul answers <c>true</c> rather than an empty body.</param>
    private async Task ApplyAsync(HttpContext context, Func<Func<Authorizer>, bool> write)
    {
        var token = Tokens.From(context.Request);
        if (write(() => acl.Resolve(token) ?? throw new DevAgentException(403, ConsulErrors.AclNotFound)))
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

    /// <summary>agent/http.go setMeta: the leader's values, unless a stale-read fault answers as a follower (rpc.go setQueryMeta).</summary>
    private static void SetQueryMeta(HttpResponse response, ulong index, QueryOptions request, StaleReadPlan? stale)
    {
        var headers = response.Headers;

        // Consul never sends 0: clients would loop without blocking (agent/http.go setIndex).
        headers["X-Consul-Index"] = Math.Max(index, 1).ToString(CultureInfo.InvariantCulture);
        headers["X-Consul-KnownLeader"] = stale is null || stale.KnownLeader ? "true" : "false";
        headers["X-Consul-LastContact"] = stale is null
            ? "0"
            : ((long)stale.LastContact.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
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
