using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Http;

/// <summary>
/// First middleware of every request: counts it, then applies the request-level faults (down,
/// latency, error responses, a stripped index header) to everything but the <c>/_dev</c> control paths.
/// </summary>
internal sealed class RequestGate(
    AclTokens acl,
    FaultKnobs faults,
    RequestMetrics metrics,
    ConsulResponses responses,
    TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        metrics.CountRequest(RequestKinds.Of(path));
        if (path.StartsWith("/_dev/", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        if (faults.IsDown)
        {
            faults.CountDownAbort();
            context.Abort();
            return;
        }

        // Every Consul response names the default ACL policy; "allow" unless ACLs are enforced.
        context.Response.Headers["X-Consul-Default-ACL-Policy"] = acl.Enabled ? "deny" : "allow";

        var latency = faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            faults.CountDelayed();
            try
            {
                await Task.Delay(latency, time, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (path.StartsWith("/v1/", StringComparison.Ordinal) && faults.TakeError(path) is { } fault)
        {
            if (fault.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            await WriteFaultAsync(context, fault);
            return;
        }

        if (path.StartsWith("/v1/", StringComparison.Ordinal) && faults.StripsIndex(path))
        {
            // Set at the last moment, so whatever wrote the header, it is gone before the response leaves.
            context.Response.OnStarting(() =>
            {
                if (context.Response.Headers.Remove("X-Consul-Index"))
                {
                    faults.CountStrippedIndex();
                }

                return Task.CompletedTask;
            });
        }

        await next(context);
    }

    private Task WriteFaultAsync(HttpContext context, ErrorFault fault)
    {
        switch (fault.Kind)
        {
            case ErrorFaultKind.NoLeader:
                return responses.WriteErrorAsync(context, 500, ConsulErrors.NoClusterLeader);
            case ErrorFaultKind.NoPathToDatacenter:
                return responses.WriteErrorAsync(context, 500, ConsulErrors.NoPathToDatacenter);
            case ErrorFaultKind.AclNotFound:
                return responses.WriteErrorAsync(context, 403, ConsulErrors.AclNotFound);
            case ErrorFaultKind.PermissionDenied:
                return responses.WriteErrorAsync(context, 403, ConsulErrors.PermissionDenied);
            case ErrorFaultKind.RpcRateLimit:
                return responses.WriteErrorAsync(context, 429, string.Empty);
            case ErrorFaultKind.ServerRateLimit:
                return responses.WriteErrorAsync(context, 429, ConsulErrors.RetryElsewhere);
            case ErrorFaultKind.LeaderRateLimit:
                return responses.WriteErrorAsync(context, 503, ConsulErrors.RetryLater);
            case ErrorFaultKind.TooManyConnections:
                // The limiter's own response, sent on an already-accepted connection, which then closes.
                context.Response.Headers.Connection = "close";
                context.Response.Headers.Remove("X-Consul-Default-ACL-Policy");
                return WriteTooManyConnectionsAsync(context);
            default:
                return responses.WriteErrorAsync(context, fault.StatusCode ?? 500, fault.Body ?? string.Empty);
        }
    }

    private async Task WriteTooManyConnectionsAsync(HttpContext context)
    {
        await responses.WriteErrorAsync(context, 429, string.Empty);
        await ConsulResponses.WriteTextAsync(context, "text/plain", ConsulErrors.TooManyConnections);
    }
}
