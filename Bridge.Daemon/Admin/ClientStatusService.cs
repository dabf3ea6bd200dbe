using Bridge.Core.Ads;
using Envoy.Admin.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Grpc.Core;

namespace Bridge.Daemon.Admin;

/// <summary>
/// Envoy's Client Status Discovery Service, server side: what every connected proxy was sent and whether it
/// accepted it, so existing CSDS tooling can read the same view as <c>/debug/clients</c>.
/// </summary>
internal sealed class ClientStatusService : ClientStatusDiscoveryService.ClientStatusDiscoveryServiceBase
{
    private readonly StreamRegistry _registry;

    public ClientStatusService(StreamRegistry registry) => _registry = registry;

    public override Task<ClientStatusResponse> FetchClientStatus(ClientStatusRequest request, ServerCallContext context) =>
        Task.FromResult(Build(request));

    public override async Task StreamClientStatus(IAsyncStreamReader<ClientStatusRequest> requestStream, IServerStreamWriter<ClientStatusResponse> responseStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(Build(requestStream.Current), context.CancellationToken).ConfigureAwait(false);
        }
    }

    internal ClientStatusResponse Build(ClientStatusRequest request)
    {
        var response = new ClientStatusResponse();
        foreach (var stream in _registry.Snapshot())
        {
            var node = stream.Client?.Node ?? new Node { Id = stream.Client?.NodeId ?? "" };
            if (request.NodeMatchers.Count > 0 && !request.NodeMatchers.Any(m => Matches(m.NodeId, node.Id)))
            {
                continue;
            }

            var config = new ClientConfig { Node = node, ClientScope = $"stream-{stream.Id}" };
            foreach (var type in stream.Describe())
            {
                var nacked = type.NackedVersion is not null && type.NackedVersion == type.SentVersion;
                var acked = !nacked && type.SentVersion is not null && type.AckedVersion == type.SentVersion;
                foreach (var (name, version) in type.SentResourceVersions)
                {
                    var entry = new ClientConfig.Types.GenericXdsConfig
                    {
                        TypeUrl = type.TypeUrl,
                        Name = name,
                        VersionInfo = version,
                        ClientStatus = nacked ? ClientResourceStatus.Nacked : acked ? ClientResourceStatus.Acked : ClientResourceStatus.Requested,
                        ConfigStatus = nacked ? ConfigStatus.Error : acked ? ConfigStatus.Synced : ConfigStatus.Stale,
                    };
                    if (nacked)
                    {
                        entry.ErrorState = new UpdateFailureState { Details = type.NackError ?? "", VersionInfo = type.NackedVersion ?? "" };
                    }

                    config.GenericXdsConfigs.Add(entry);
                }

                foreach (var name in type.Subscribed.Where(n => !type.SentResourceVersions.ContainsKey(n)))
                {
                    config.GenericXdsConfigs.Add(new ClientConfig.Types.GenericXdsConfig
                    {
                        TypeUrl = type.TypeUrl,
                        Name = name,
                        ClientStatus = ClientResourceStatus.Requested,
                        ConfigStatus = ConfigStatus.NotSent,
                    });
                }
            }

            response.Config.Add(config);
        }

        return response;
    }

    private static bool Matches(StringMatcher? matcher, string value) => matcher?.MatchPatternCase switch
    {
        null or StringMatcher.MatchPatternOneofCase.None => true,
        StringMatcher.MatchPatternOneofCase.Exact => string.Equals(matcher.Exact, value, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(matcher.Prefix, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Suffix => value.EndsWith(matcher.Suffix, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Contains => value.Contains(matcher.Contains, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        _ => false,
    };
}
