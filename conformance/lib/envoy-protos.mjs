// The upstream Envoy API as protobufjs reflection, loaded from the protos shipped in grpc-js-xds (never the
// bridge's own protos/), with their protoc-gen-validate annotations readable: every message type the bridge
// serves, the typed configs it puts inside them, and the extensions a proxy could be sent next to those
// (transport sockets, load-balancing policies, the HTTP filters proxyless gRPC understands).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { upstreamProtoDirs } from './paths.mjs';

const require = createRequire(import.meta.url);

export const TYPE = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
};

const lbPolicies = ['ring_hash', 'maglev', 'round_robin', 'least_request', 'random', 'pick_first', 'wrr_locality', 'client_side_weighted_round_robin'];

const FILES = [
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  ...lbPolicies.map((p) => `envoy/extensions/load_balancing_policies/${p}/v3/${p}.proto`),
];

// Options such as (validate.rules) extend google.protobuf.*Options: the descriptor types must be known.
protobuf.common('descriptor', require('protobufjs/google/protobuf/descriptor.json').nested.google.nested.protobuf.nested);

export const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  if (path.isAbsolute(target) && fs.existsSync(target)) return target;
  for (const dir of upstreamProtoDirs) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  return target;
};
root.loadSync(FILES, { keepCase: true });
root.resolveAll();

/** The message type an Any's type URL names, or null when no loaded proto defines it. */
export function typeOf(typeUrl) {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  try {
    return root.lookupType(name);
  } catch {
    return null;
  }
}

/** How resources are shown to tests: plain objects, 64-bit integers and enums as strings, oneofs named. */
export const PLAIN = { longs: String, enums: String, defaults: true, oneofs: true };
