namespace Bridge.DevAgent.Http;

/// <summary>Consul's paths. Every route takes any method; handlers answer 405 as Consul does.</summary>
internal static class ConsulRoutes
{
    public static void Map(IEndpointRouteBuilder app, ConsulApi api)
    {
        void Route(string pattern, RequestDelegate handler) => app.Map(pattern, handler);

        Route("/v1/catalog/services", api.CatalogServicesAsync);
        Route("/v1/catalog/service/{**tail}", api.CatalogServiceAsync);
        Route("/v1/catalog/nodes", api.CatalogNodesAsync);
        Route("/v1/catalog/datacenters", api.CatalogDatacentersAsync);
        Route("/v1/catalog/register", api.CatalogRegisterAsync);
        Route("/v1/catalog/deregister", api.CatalogDeregisterAsync);
        Route("/v1/health/service/{**tail}", api.HealthServiceAsync);
        Route("/v1/health/state/{**tail}", api.HealthStateAsync);
        Route("/v1/agent/self", api.AgentSelfAsync);
        Route("/v1/agent/service/register", api.AgentServiceRegisterAsync);
        Route("/v1/agent/service/deregister/{**tail}", api.AgentServiceDeregisterAsync);
        Route("/v1/agent/service/maintenance/{**tail}", api.AgentServiceMaintenanceAsync);
        Route("/v1/agent/maintenance", api.AgentNodeMaintenanceAsync);
        Route("/v1/agent/check/pass/{**tail}", api.AgentCheckPassAsync);
        Route("/v1/agent/check/warn/{**tail}", api.AgentCheckWarnAsync);
        Route("/v1/agent/check/fail/{**tail}", api.AgentCheckFailAsync);
        Route("/v1/agent/check/update/{**tail}", api.AgentCheckUpdateAsync);
        Route("/v1/status/leader", api.StatusLeaderAsync);
        Route("/v1/config", api.ConfigApplyAsync);
        Route("/v1/config/{**tail}", api.ConfigAsync);

        // Literal routes win over a catch-all, so this only sees paths nothing else serves.
        Route("/{**path}", api.NotFoundAsync);
    }
}
