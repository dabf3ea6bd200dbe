// Envoy's validation without an Envoy binary. Every resource is decoded with the upstream protos, checked
// against their protoc-gen-validate rules (pgv.mjs) recursively, typed configs included, and against the
// semantic checks Envoy and proxyless gRPC make (envoy-semantics.mjs). `XdsView` follows one ADS stream as a
// client would (what it holds after each response) for the checks that need several resources.
import { PLAIN, TYPE, root, typeOf } from './envoy-protos.mjs';
import { PgvValidator } from './pgv.mjs';
import {
  MESSAGE_CHECKS, UNIQUE_NAMES, checkAssignment, checkHashBalancerWeights, checkListenerAddresses,
} from './envoy-semantics.mjs';

const pgv = new PgvValidator();
const SHORT = Object.fromEntries(Object.entries(TYPE).map(([, url]) => [url, url.slice(url.lastIndexOf('.') + 1)]));

/** `Cluster "web".connect_timeout: duration.gt: 0s is out of range (gt 0s)` */
export function describe(v) {
  return `${v.path}: ${v.rule}: ${v.detail}`;
}

/** The name a resource goes by in xDS: a ClusterLoadAssignment's cluster_name, every other type's name. */
export function resourceName(typeUrl, message) {
  return typeUrl === TYPE.endpoint ? message.cluster_name : message.name;
}

/**
 * Validates one decoded message of `type` (a protobufjs Type) as Envoy would on receiving it, typed configs
 * included. `clientKind` ('envoy' or 'grpc') adds the checks proxyless gRPC makes. Returns the violations,
 * each { path, rule, detail }.
 */
export function validateMessage(type, message, { clientKind = 'envoy', path = type.name } = {}) {
  const out = [];
  const report = (at, rule, detail) => out.push({ path: at, rule, detail });
  const context = { clientKind };
  const hooks = {
    visit(typeName, m, at) {
      MESSAGE_CHECKS[typeName]?.(m, at, report, context);
    },
    onAny(any, at) {
      const payloadType = typeOf(any.type_url);
      if (!payloadType) {
        report(at, 'envoy.typed_config.known', `no loaded proto defines ${any.type_url}`);
        return;
      }
      let payload;
      try {
        payload = payloadType.decode(any.value);
      } catch (e) {
        report(at, 'envoy.typed_config.known', `does not decode as ${payloadType.name}: ${e.message}`);
        return;
      }
      pgv.validate(payloadType, payload, `${at}<${payloadType.name}>`, out, hooks);
    },
  };
  pgv.validate(type, message, path, out, hooks);
  if (type.fullName === '.envoy.config.endpoint.v3.ClusterLoadAssignment') checkAssignment(message, path, report, context);
  return out;
}

/**
 * Decodes one resource (an Any as received) and validates it. Returns { name, message, violations, type };
 * `message` (protobufjs) is null when it does not decode.
 */
export function validateResource(any, { typeUrl = any.type_url, clientKind = 'envoy' } = {}) {
  const violations = [];
  const label = SHORT[typeUrl] ?? typeUrl;
  if (any.type_url !== typeUrl) {
    violations.push({ path: label, rule: 'envoy.resource.type_url', detail: `${any.type_url} in a response of ${typeUrl}` });
  }
  const type = typeOf(any.type_url);
  if (!type) return { name: undefined, message: null, violations: [...violations, { path: label, rule: 'envoy.typed_config.known', detail: `no loaded proto defines ${any.type_url}` }] };
  let message;
  try {
    message = type.decode(any.value);
  } catch (e) {
    return { name: undefined, message: null, violations: [...violations, { path: label, rule: 'envoy.typed_config.known', detail: `does not decode: ${e.message}` }] };
  }
  const name = resourceName(any.type_url, message);
  violations.push(...validateMessage(type, message, { clientKind, path: `${type.name} ${JSON.stringify(name)}` }));
  return { name, message, violations, type };
}

const LB_POLICY = typeOf(TYPE.cluster).lookupEnum('LbPolicy').valuesById;
const AGGREGATE_CONFIG = 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig';

/** The clusters an aggregate cluster is made of, in order; [] for a cluster of another type. */
function aggregated(cluster) {
  const config = cluster.cluster_discovery_type === 'cluster_type' ? cluster.cluster_type?.typed_config : null;
  if (config?.type_url !== AGGREGATE_CONFIG) return [];
  return root.lookupType('envoy.extensions.clusters.aggregate.v3.ClusterConfig').decode(config.value).clusters;
}
const EDS = typeOf(TYPE.cluster).lookupEnum('DiscoveryType').values.EDS;

/** The ClusterLoadAssignment an EDS cluster asks for; null for a cluster of another type. */
function edsName(cluster) {
  if (cluster.cluster_discovery_type !== 'type' || cluster.type !== EDS) return null;
  return cluster.eds_cluster_config?.service_name || cluster.name;
}

/** One resource a client holds: the decoded message, and as a plain object (made when first asked for). */
class Held {
  constructor(type, message) {
    this.type = type;
    this.message = message;
  }

  get plain() {
    this.cached ??= this.type.toObject(this.message, PLAIN);
    return this.cached;
  }
}

/** The HttpConnectionManagers a listener holds (API listener or network filters), decoded. */
function connectionManagers(listener) {
  const anys = [];
  if (listener.api_listener?.api_listener) anys.push(listener.api_listener.api_listener);
  for (const chain of [...listener.filter_chains, listener.default_filter_chain].filter(Boolean)) {
    for (const f of chain.filters) if (f.typed_config) anys.push(f.typed_config);
  }
  return anys.filter((a) => a.type_url === TYPE.hcm).map((a) => typeOf(TYPE.hcm).decode(a.value));
}

/**
 * What one ADS stream's client holds, response after response, with every response validated on arrival
 * (`accept`) and the cross-resource checks run over the whole of it after each. `consistency()` then checks
 * that what the client was told to fetch next was served.
 */
export class XdsView {
  constructor(clientKind = 'envoy') {
    this.clientKind = clientKind;
    this.held = new Map(Object.values(TYPE).slice(0, 4).map((t) => [t, new Map()]));
    this.violations = [];
    this.reported = new Set();
    /** Responses taken, per type URL. */
    this.responses = new Map();
  }

  /** Resources of one type held now: name -> Held ({ message, plain }). */
  of(typeUrl) {
    return this.held.get(typeUrl) ?? new Map();
  }

  /** Takes one DiscoveryResponse (`protocol` 'sotw') or DeltaDiscoveryResponse ('delta'); returns new violations. */
  accept(response, protocol) {
    this.responses.set(response.type_url, (this.responses.get(response.type_url) ?? 0) + 1);
    const found = [];
    const report = (path, rule, detail) => found.push({ path, rule, detail });
    const typeUrl = response.type_url;
    const label = SHORT[typeUrl] ?? typeUrl;
    const entries = protocol === 'delta' ? response.resources.map((r) => ({ sentAs: r.name, any: r.resource })) : response.resources.map((any) => ({ any }));
    const received = new Map();
    for (const { sentAs, any } of entries) {
      if (!any) {
        report(`${label} ${JSON.stringify(sentAs)}`, 'bridge.resource_name', 'a delta Resource without its resource');
        continue;
      }
      const r = validateResource(any, { typeUrl, clientKind: this.clientKind });
      found.push(...r.violations);
      if (!r.message) continue;
      if (sentAs !== undefined && sentAs !== r.name) report(`${label} ${JSON.stringify(r.name)}`, 'bridge.resource_name', `sent as ${JSON.stringify(sentAs)}`);
      if (received.has(r.name)) {
        report(`${label} ${JSON.stringify(r.name)}`, UNIQUE_NAMES[typeUrl] ?? 'bridge.resource_name', 'appears twice in one response');
      }
      received.set(r.name, new Held(r.type, r.message));
    }

    if (!this.held.has(typeUrl)) this.held.set(typeUrl, new Map());
    const held = this.held.get(typeUrl);
    const fullState = protocol === 'sotw' && (typeUrl === TYPE.listener || typeUrl === TYPE.cluster);
    if (fullState) held.clear();
    for (const [name, r] of received) held.set(name, r);
    if (protocol === 'delta') for (const name of response.removed_resources ?? []) held.delete(name);

    this.crossChecks(report);
    const fresh = found.filter((v) => {
      const key = describe(v);
      if (this.reported.has(key)) return false;
      this.reported.add(key);
      return true;
    });
    this.violations.push(...fresh);
    return fresh;
  }

  crossChecks(report) {
    checkListenerAddresses(new Map([...this.of(TYPE.listener)].map(([n, r]) => [n, r.message])), report);
    const assignments = this.of(TYPE.endpoint);
    for (const { message } of this.of(TYPE.cluster).values()) {
      const policy = LB_POLICY[message.lb_policy];
      if (policy !== 'RING_HASH' && policy !== 'MAGLEV') continue;
      const name = edsName(message);
      const cla = name !== null && assignments.get(name);
      if (cla) checkHashBalancerWeights(cla.message, `ClusterLoadAssignment ${JSON.stringify(name)}`, report, policy);
    }
  }

  /**
   * The names a client holding this view goes on to fetch: RDS names of its listeners, EDS names of its clusters,
   * clusters of its routes and of its aggregate clusters.
   */
  references() {
    const routes = new Set();
    for (const { message } of this.of(TYPE.listener).values()) {
      for (const hcm of connectionManagers(message)) if (hcm.rds) routes.add(hcm.rds.route_config_name);
    }
    const assignments = new Set();
    for (const { message } of this.of(TYPE.cluster).values()) {
      const assignment = edsName(message);
      if (assignment !== null) assignments.add(assignment);
    }
    const clusters = new Set();
    for (const { message } of this.of(TYPE.cluster).values()) {
      for (const name of aggregated(message)) clusters.add(name);
    }
    for (const { message } of this.of(TYPE.route).values()) {
      for (const vh of message.virtual_hosts) {
        for (const r of vh.routes) {
          if (r.route?.cluster) clusters.add(r.route.cluster);
          for (const w of r.route?.weighted_clusters?.clusters ?? []) clusters.add(w.name);
        }
      }
    }
    return { routes, assignments, clusters };
  }

  /** Violations of the whole: every reference a client would follow leads to a resource it was sent. */
  consistency() {
    const found = [];
    const { routes, assignments, clusters } = this.references();
    for (const name of routes) {
      if (!this.of(TYPE.route).has(name)) found.push({ path: `RouteConfiguration ${JSON.stringify(name)}`, rule: 'bridge.rds_served', detail: 'named by a listener, never sent' });
    }
    for (const name of assignments) {
      if (!this.of(TYPE.endpoint).has(name)) found.push({ path: `ClusterLoadAssignment ${JSON.stringify(name)}`, rule: 'bridge.eds_served', detail: 'named by an EDS cluster, never sent' });
    }
    for (const name of clusters) {
      if (!this.of(TYPE.cluster).has(name)) found.push({ path: `Cluster ${JSON.stringify(name)}`, rule: 'bridge.route_cluster_known', detail: 'a route points to it, CDS does not serve it' });
    }
    return found;
  }
}

/** An Error listing `violations`, for a test to fail with. */
export function violationError(what, violations) {
  const shown = violations.slice(0, 20).map((v) => `  - ${describe(v)}`);
  if (violations.length > 20) shown.push(`  ... and ${violations.length - 20} more`);
  return new Error(`${what}: ${violations.length} violation(s) of Envoy's validation:\n${shown.join('\n')}`);
}
