// Envoy's own checks beyond protoc-gen-validate that the bridge's resources could trip, and the checks
// proxyless gRPC (grpc-js-xds) makes of the same resources. Each rule names where it is enforced upstream.
// Checks of one message run on protobufjs messages as they are decoded (see envoy-validate.mjs); checks that
// need several resources run over what one stream holds.
import net from 'node:net';

export const UINT32_MAX = 4294967295n;
// google.protobuf.Duration's own range (10,000 years), which Envoy enforces on every Duration it reads.
const DURATION_MAX_SECONDS = 315576000000n;

/** Every semantic rule, with where the upstream implementation enforces it. */
export const SEMANTIC_RULES = {
  'envoy.duration.range': 'Envoy source/common/protobuf/utility.cc, MessageUtil::validateDurationFields (every Duration, typed configs included): "Expected positive duration" / "Duration out-of-range"',
  'envoy.resource.type_url': 'Envoy source/extensions/config_subscription/grpc/grpc_mux_impl.cc: "{} does not match the message-wide type URL {} in DiscoveryResponse"',
  'envoy.typed_config.known': 'Envoy source/common/config/utility.h, getFactoryByType: "Didn\'t find a registered implementation for type URL"',
  'envoy.route.unique_domains': 'Envoy source/common/router/config_impl.cc, RouteMatcher: "Only unique values for domains are permitted. Duplicate entry of domain {} in route {}" (domains lowercased first)',
  'envoy.route.single_wildcard': 'Envoy source/common/router/config_impl.cc, RouteMatcher: "Only a single wildcard domain is permitted in route {}"',
  'envoy.route.weighted_clusters': 'Envoy source/common/router/config_impl.cc (weighted_cluster_specifier.cc in later releases): "Sum of weights in the weighted_cluster must be greater than 0" / "The sum of weights of all weighted clusters of route {} exceeds 4294967295"',
  'envoy.hcm.terminal_filter': 'Envoy source/common/config/utility.h, validateTerminalFilters, called by source/extensions/filters/network/http_connection_manager/config.cc: the router must be the last HTTP filter, and the last filter must be terminal',
  'envoy.listener.terminal_filter': 'Envoy source/common/config/utility.h, validateTerminalFilters, called for each network filter chain by source/common/listener_manager/listener_impl.cc: http_connection_manager is terminal and must come last',
  'envoy.listener.unique_names': 'Envoy source/common/listener_manager/lds_api.cc: "duplicate listener {} found"',
  'envoy.listener.unique_addresses': 'Envoy source/common/listener_manager/listener_manager_impl.cc: "error adding listener: \'{}\' has duplicate address \'{}\' as existing listener"',
  'envoy.cluster.unique_names': 'Envoy source/common/upstream/cds_api_helper.cc: "duplicate cluster {} found"',
  'envoy.cluster.eds_config': 'Envoy source/extensions/clusters/eds/eds.cc: "cannot create an EDS cluster without an EDS config"',
  'envoy.cluster.ring_size': 'Envoy source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc: "ring hash: minimum_ring_size ({}) > maximum_ring_size ({})"',
  'envoy.endpoint.host_weight_sum': 'Envoy source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc, TypedHashLbConfigBase::validateEndpoints (ring hash, maglev): "The sum of weights of all upstream hosts in a locality exceeds 4294967295" (summed per priority)',
  'envoy.endpoint.locality_weight_sum': 'Envoy source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc, TypedHashLbConfigBase::validateEndpoints: "The sum of weights of all localities at the same priority exceeds 4294967295"; grpc-js-xds endpoint-resource-type.js: "priority {} has total weight greater than UINT32_MAX"',
  'grpc.endpoint.locality_set': 'grpc-js-xds build/src/xds-resource-type/endpoint-resource-type.js: "endpoints[i].locality unset"',
  'grpc.endpoint.unique_localities': 'grpc-js-xds endpoint-resource-type.js: "locality is a duplicate of another locality in the endpoint" (same locality, same priority)',
  'grpc.endpoint.unique_addresses': 'grpc-js-xds endpoint-resource-type.js: "address is a duplicate of another address in the same endpoint"',
  'grpc.endpoint.ip_address': 'grpc-js-xds endpoint-resource-type.js: "address is not a valid IPv4 or IPv6 address"',
  'grpc.endpoint.contiguous_priorities': 'grpc-js-xds endpoint-resource-type.js: "Endpoints have priority {} but not {}"',
  'grpc.hcm.unique_filter_names': 'grpc-js-xds build/src/xds-resource-type/listener-resource-type.js: "duplicate HTTP filter name"',
  'bridge.resource_name': 'the xDS protocol: a resource is sent under its own name (Resource.name, and the names a client subscribed to)',
  'bridge.eds_served': 'consistency: every EDS cluster\'s service_name is answered with a ClusterLoadAssignment of that name',
  'bridge.rds_served': 'consistency: every route configuration a listener names over RDS is answered',
  'bridge.route_cluster_known': 'consistency: every cluster a route points to is served over CDS',
};

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
// Network filters that end a filter chain (Envoy's isTerminalFilter) among those the validator knows.
const TERMINAL_NETWORK = new Set([HCM, 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy']);

const big = (v) => BigInt((v ?? 0).toString());

function checkDuration(d, path, report) {
  const seconds = big(d.seconds);
  const nanos = d.nanos ?? 0;
  if (seconds < 0n || nanos < 0) report(path, 'envoy.duration.range', `${seconds}s ${nanos}ns: a negative duration`);
  else if (seconds > DURATION_MAX_SECONDS || nanos > 999_999_999) report(path, 'envoy.duration.range', `${seconds}s ${nanos}ns: out of range`);
}

function checkRouteConfiguration(rc, path, report) {
  const seen = new Map();
  let wildcard = null;
  rc.virtual_hosts.forEach((vh, v) => {
    vh.domains.forEach((domain, d) => {
      const lower = domain.toLowerCase();
      const at = `${path}.virtual_hosts[${v}].domains[${d}]`;
      if (lower === '*') {
        if (wildcard !== null) report(at, 'envoy.route.single_wildcard', `a second "*" (virtual hosts ${wildcard} and ${vh.name})`);
        wildcard = vh.name;
        return;
      }
      if (seen.has(lower)) {
        report(at, 'envoy.route.unique_domains', `domain ${JSON.stringify(domain)} (lowercased ${JSON.stringify(lower)}) is already in virtual host ${JSON.stringify(seen.get(lower))} of route ${JSON.stringify(rc.name)}`);
      } else {
        seen.set(lower, vh.name);
      }
    });
  });
}

function checkRouteAction(action, path, report) {
  if (action.cluster_specifier !== 'weighted_clusters') return;
  let sum = 0n;
  for (const c of action.weighted_clusters.clusters) sum += big(c.weight?.value);
  if (sum === 0n) report(`${path}.weighted_clusters`, 'envoy.route.weighted_clusters', 'the weights sum to 0');
  if (sum > UINT32_MAX) report(`${path}.weighted_clusters`, 'envoy.route.weighted_clusters', `the weights sum to ${sum}, above 4294967295`);
}

function checkHttpConnectionManager(hcm, path, report, context) {
  const filters = hcm.http_filters;
  const typeOfFilter = (f) => f.typed_config?.type_url ?? f.config_discovery?.default_config?.type_url ?? '';
  if (filters.length === 0) {
    report(`${path}.http_filters`, 'envoy.hcm.terminal_filter', 'no HTTP filter: the router must end the chain');
  }
  filters.forEach((f, i) => {
    const terminal = typeOfFilter(f) === ROUTER;
    const last = i === filters.length - 1;
    if (terminal && !last) report(`${path}.http_filters[${i}]`, 'envoy.hcm.terminal_filter', `terminal filter ${f.name} is not the last HTTP filter`);
    if (!terminal && last) report(`${path}.http_filters[${i}]`, 'envoy.hcm.terminal_filter', `non-terminal filter ${f.name} is the last HTTP filter`);
  });
  if (context.clientKind === 'grpc') {
    const names = new Set();
    filters.forEach((f, i) => {
      if (names.has(f.name)) report(`${path}.http_filters[${i}]`, 'grpc.hcm.unique_filter_names', `HTTP filter name ${f.name} appears twice`);
      names.add(f.name);
    });
  }
}

function checkListener(listener, path, report) {
  const chains = [...listener.filter_chains.map((c, i) => [c, `${path}.filter_chains[${i}]`])];
  if (listener.default_filter_chain) chains.push([listener.default_filter_chain, `${path}.default_filter_chain`]);
  for (const [chain, at] of chains) {
    chain.filters.forEach((f, i) => {
      const terminal = TERMINAL_NETWORK.has(f.typed_config?.type_url ?? '');
      const last = i === chain.filters.length - 1;
      if (terminal && !last) report(`${at}.filters[${i}]`, 'envoy.listener.terminal_filter', `terminal filter ${f.name} is not the last network filter`);
      if (!terminal && last) report(`${at}.filters[${i}]`, 'envoy.listener.terminal_filter', `non-terminal filter ${f.name} is the last network filter`);
    });
  }
}

function checkCluster(cluster, path, report) {
  const discovery = cluster.cluster_discovery_type === 'type' ? cluster.type : null;
  if (discovery === 3 /* EDS */ && !cluster.eds_cluster_config) {
    report(path, 'envoy.cluster.eds_config', 'type EDS without eds_cluster_config');
  }
  const ring = cluster.ring_hash_lb_config;
  if (ring?.minimum_ring_size && ring?.maximum_ring_size && big(ring.minimum_ring_size.value) > big(ring.maximum_ring_size.value)) {
    report(`${path}.ring_hash_lb_config`, 'envoy.cluster.ring_size', 'minimum_ring_size > maximum_ring_size');
  }
}

/** What proxyless gRPC requires of a ClusterLoadAssignment's localities, priorities, addresses and weights. */
export function checkAssignment(cla, path, report, { clientKind } = {}) {
  if (clientKind !== 'grpc') return;
  const localityWeights = new Map();
  const localities = new Set();
  const addresses = new Set();
  cla.endpoints.forEach((l, i) => {
    const at = `${path}.endpoints[${i}]`;
    localityWeights.set(l.priority, (localityWeights.get(l.priority) ?? 0n) + big(l.load_balancing_weight?.value));
    if (!l.locality) {
      report(at, 'grpc.endpoint.locality_set', 'locality unset');
      return;
    }
    const key = JSON.stringify([l.locality.region, l.locality.zone, l.locality.sub_zone]);
    if (localities.has(`${key}@${l.priority}`)) report(`${at}.locality`, 'grpc.endpoint.unique_localities', `locality ${key} appears twice at priority ${l.priority}`);
    localities.add(`${key}@${l.priority}`);
    l.lb_endpoints.forEach((e, j) => {
      const sa = e.endpoint?.address?.socket_address;
      if (!sa) return;
      const address = `${sa.address}:${sa.port_value}`;
      if (net.isIP(sa.address) === 0) report(`${at}.lb_endpoints[${j}]`, 'grpc.endpoint.ip_address', `${sa.address} is not an IP address`);
      if (addresses.has(address)) report(`${at}.lb_endpoints[${j}]`, 'grpc.endpoint.unique_addresses', `${address} appears twice`);
      addresses.add(address);
    });
  });
  for (const [priority, sum] of localityWeights) {
    if (sum > UINT32_MAX) report(path, 'envoy.endpoint.locality_weight_sum', `locality weights at priority ${priority} sum to ${sum}, above 4294967295`);
    if (priority > 0 && !localityWeights.has(priority - 1)) report(path, 'grpc.endpoint.contiguous_priorities', `priority ${priority} without priority ${priority - 1}`);
  }
}

/**
 * Envoy's limits on the weights of an assignment served to a ring-hash or maglev cluster (`lbPolicy`, the
 * cluster's lb_policy name): per priority, endpoint weights and locality weights each sum to at most UINT32_MAX.
 */
export function checkHashBalancerWeights(cla, path, report, lbPolicy) {
  if (lbPolicy !== 'RING_HASH' && lbPolicy !== 'MAGLEV') return;
  const sums = new Map();
  for (const l of cla.endpoints) {
    const s = sums.get(l.priority) ?? { localities: 0n, hosts: 0n };
    sums.set(l.priority, s);
    s.localities += big(l.load_balancing_weight?.value);
    for (const e of l.lb_endpoints) s.hosts += e.load_balancing_weight ? big(e.load_balancing_weight.value) : 1n;
  }
  for (const [priority, s] of sums) {
    if (s.hosts > UINT32_MAX) report(path, 'envoy.endpoint.host_weight_sum', `endpoint weights at priority ${priority} sum to ${s.hosts}, above 4294967295 (${lbPolicy})`);
    if (s.localities > UINT32_MAX) report(path, 'envoy.endpoint.locality_weight_sum', `locality weights at priority ${priority} sum to ${s.localities}, above 4294967295 (${lbPolicy})`);
  }
}

/** Checks of one message (protobufjs-decoded), by its type's full name. */
export const MESSAGE_CHECKS = {
  '.google.protobuf.Duration': (m, path, report) => checkDuration(m, path, report),
  '.envoy.config.route.v3.RouteConfiguration': (m, path, report) => checkRouteConfiguration(m, path, report),
  '.envoy.config.route.v3.RouteAction': (m, path, report) => checkRouteAction(m, path, report),
  '.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': checkHttpConnectionManager,
  '.envoy.config.listener.v3.Listener': (m, path, report) => checkListener(m, path, report),
  '.envoy.config.cluster.v3.Cluster': (m, path, report) => checkCluster(m, path, report),
};

/** Names that must be unique within one response of a type. */
export const UNIQUE_NAMES = {
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'envoy.listener.unique_names',
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'envoy.cluster.unique_names',
};

/** Listeners that bind (not API listeners) must not share an address. `listeners`: name -> plain Listener. */
export function checkListenerAddresses(listeners, report) {
  const bound = new Map();
  for (const [name, l] of listeners) {
    const sa = l.address?.socket_address;
    if (l.api_listener || !sa) continue;
    const address = `${sa.address}:${sa.port_value}`;
    if (bound.has(address)) report(`Listener ${name}`, 'envoy.listener.unique_addresses', `${address} is also the address of listener ${bound.get(address)}`);
    else bound.set(address, name);
  }
}
