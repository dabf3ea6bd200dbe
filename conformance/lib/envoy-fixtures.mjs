// Hand-built resources of the shapes the bridge serves (Bridge.Core/Xds/ResourceTranslator.cs), as plain
// objects in the upstream protos' field names, for tests of the validator itself. Each call returns a fresh
// object, so a test can break one field of it.
import { TYPE, root } from './envoy-protos.mjs';

/** Packs a plain object as an Any of `typeUrl`. */
export function pack(typeUrl, object) {
  const type = root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  return { type_url: typeUrl, value: type.encode(type.fromObject(object)).finish() };
}

const ads = () => ({ ads: {}, resource_api_version: 'V3' });

export function cluster(name = 'web') {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ads(), service_name: name },
    connect_timeout: { seconds: 5 },
    lb_policy: 'RING_HASH',
    ring_hash_lb_config: { hash_function: 'XX_HASH' },
    outlier_detection: {
      consecutive_5xx: { value: 7 }, interval: { seconds: 15 }, base_ejection_time: { seconds: 45 }, max_ejection_percent: { value: 30 },
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': pack(TYPE.httpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }),
    },
  };
}

export function endpoint(address, port, weight = 1, health = 'HEALTHY') {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, health_status: health, load_balancing_weight: { value: weight } };
}

export function assignment(name = 'web') {
  return {
    cluster_name: name,
    endpoints: [
      { locality: { region: 'dc1', zone: 'a', sub_zone: 'weight-1' }, priority: 0, load_balancing_weight: { value: 1 }, lb_endpoints: [endpoint('127.0.0.1', 21001, 1)] },
      { locality: { region: 'dc1', zone: 'a', sub_zone: 'weight-3' }, priority: 0, load_balancing_weight: { value: 3 }, lb_endpoints: [endpoint('::1', 21002, 3)] },
    ],
  };
}

export function connectionManager(routeName = 'outbound_http') {
  return {
    stat_prefix: routeName,
    rds: { config_source: ads(), route_config_name: routeName },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: pack(TYPE.router, {}) }],
  };
}

export function envoyListener(name = 'outbound_http', port = 15001) {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: pack(TYPE.hcm, connectionManager(name)) }] }],
  };
}

export function grpcListener(service = 'web') {
  return { name: service, api_listener: { api_listener: pack(TYPE.hcm, connectionManager(service)) } };
}

export function virtualHost(service) {
  const dns = `${service}.service.consul`;
  return { name: service, domains: [service, `${service}:*`, dns, `${dns}:*`], routes: [{ match: { prefix: '' }, route: { cluster: service } }] };
}

export function routeConfiguration(services = ['web', 'api'], name = 'outbound_http') {
  return { name, virtual_hosts: services.map(virtualHost) };
}
