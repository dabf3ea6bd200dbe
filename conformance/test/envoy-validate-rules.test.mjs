// The validator itself, without a bridge: resources of the bridge's shapes pass it, and each rule it
// implements (every protoc-gen-validate rule kind, every Envoy and gRPC semantic check) catches a resource
// that breaks exactly that rule. Where an upstream Envoy field carries the rule, the broken resource is a real
// Envoy resource; the PGV rules no field of ours carries are proven on a probe message declared here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { TYPE, root } from '../lib/envoy-protos.mjs';
import { IMPLEMENTED, PgvValidator } from '../lib/pgv.mjs';
import { SEMANTIC_RULES } from '../lib/envoy-semantics.mjs';
import { XdsView, describe as text, validateMessage, validateResource } from '../lib/envoy-validate.mjs';
import * as F from '../lib/envoy-fixtures.mjs';

function violations(typeUrl, object, clientKind = 'envoy') {
  return validateResource(F.pack(typeUrl, object), { clientKind }).violations;
}

/** Asserts that `object` breaks exactly one rule, `rule`, and returns that violation. */
function breaksOnly(typeUrl, object, rule, clientKind) {
  const found = violations(typeUrl, object, clientKind);
  assert.deepEqual(found.map((v) => v.rule), [rule], `expected exactly ${rule}, got:\n${found.map(text).join('\n')}`);
  return found[0];
}

const tested = new Set();
function proves(rule, fn) {
  tested.add(rule);
  test(rule, fn);
}

describe('resources of the bridge\'s shapes pass', () => {
  const shapes = {
    'an EDS cluster with ring hash, outlier detection and HTTP/2 upstream options': [TYPE.cluster, F.cluster()],
    'an assignment with two weighted localities, IPv4 and IPv6': [TYPE.endpoint, F.assignment()],
    'an empty assignment': [TYPE.endpoint, { cluster_name: 'gone' }],
    'Envoy\'s outbound listener with its connection manager and router': [TYPE.listener, F.envoyListener()],
    'a gRPC API listener': [TYPE.listener, F.grpcListener()],
    'the outbound route with a virtual host per service': [TYPE.route, F.routeConfiguration(['web', 'api', 'db'])],
  };
  for (const [what, [typeUrl, object]] of Object.entries(shapes)) {
    for (const kind of ['envoy', 'grpc']) {
      test(`${what} (${kind})`, () => assert.deepEqual(violations(typeUrl, object, kind).map(text), []));
    }
  }
});

describe('every PGV rule on the messages the bridge serves is one the validator checks', () => {
  test('compiling every message type reachable from the served types and the typed configs finds no unimplemented rule', () => {
    const pgv = new PgvValidator();
    const seen = new Set();
    const kinds = new Set();
    const visit = (type) => {
      if (seen.has(type.fullName)) return;
      seen.add(type.fullName);
      for (const { rules } of pgv.compile(type).fields) {
        for (const [kind, r] of Object.entries(rules ?? {})) for (const rule of Object.keys(r)) kinds.add(`${kind}.${rule}`);
      }
      for (const f of type.fieldsArray) if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
    };
    for (const url of Object.values(TYPE)) visit(root.lookupType(url.slice(url.lastIndexOf('/') + 1)));
    assert.ok(seen.size > 200, `reached ${seen.size} message types`);
    assert.ok(kinds.has('string.well_known_regex') && kinds.has('duration.gt') && kinds.has('repeated.min_items'), [...kinds].join(' '));
  });
});

// PGV rules on real Envoy fields: each case breaks one field of a resource the bridge could send.
describe('PGV rules on Envoy\'s own fields', () => {
  proves('string.min_len', () => {
    const c = F.cluster();
    c.name = '';
    c.eds_cluster_config.service_name = 'web';
    assert.match(breaksOnly(TYPE.cluster, c, 'string.min_len').path, /^Cluster "".name$/);
  });
  proves('duration.gt', () => {
    const c = F.cluster();
    c.connect_timeout = {};
    assert.equal(breaksOnly(TYPE.cluster, c, 'duration.gt').path, 'Cluster "web".connect_timeout');
  });
  proves('enum.defined_only', () => {
    const c = F.cluster();
    c.lb_policy = 4;
    breaksOnly(TYPE.cluster, c, 'enum.defined_only');
  });
  proves('uint32.lte', () => {
    const c = F.cluster();
    c.outlier_detection.max_ejection_percent = { value: 101 };
    assert.equal(breaksOnly(TYPE.cluster, c, 'uint32.lte').path, 'Cluster "web".outlier_detection.max_ejection_percent');
  });
  proves('uint32.gte', () => {
    const a = F.assignment();
    a.endpoints[0].lb_endpoints[0].load_balancing_weight = { value: 0 };
    breaksOnly(TYPE.endpoint, a, 'uint32.gte');
  });
  proves('uint32.lt', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0] = { match: { prefix: '/' }, direct_response: { status: 600 } };
    breaksOnly(TYPE.route, r, 'uint32.lt');
  });
  proves('uint32.gt', () => {
    const l = F.envoyListener();
    l.max_connections_to_accept_per_socket_event = { value: 0 };
    breaksOnly(TYPE.listener, l, 'uint32.gt');
  });
  proves('uint64.lte', () => {
    const c = F.cluster();
    c.ring_hash_lb_config.minimum_ring_size = { value: 8388609 };
    breaksOnly(TYPE.cluster, c, 'uint64.lte');
  });
  proves('double.lte', () => {
    const c = F.cluster();
    c.common_lb_config = { healthy_panic_threshold: { value: 150 } };
    breaksOnly(TYPE.cluster, c, 'double.lte');
  });
  proves('message.required', () => {
    const r = F.routeConfiguration(['web']);
    delete r.virtual_hosts[0].routes[0].match;
    breaksOnly(TYPE.route, r, 'message.required');
  });
  proves('oneof.required', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0].match = {};
    assert.match(breaksOnly(TYPE.route, r, 'oneof.required').detail, /prefix/);
  });
  proves('repeated.min_items', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].domains = [];
    breaksOnly(TYPE.route, r, 'repeated.min_items');
  });
  proves('repeated.max_items', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].request_headers_to_add = Array.from({ length: 1001 }, (_, i) => ({ header: { key: `x-h${i}`, value: 'v' } }));
    breaksOnly(TYPE.route, r, 'repeated.max_items');
  });
  proves('repeated.unique', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0].route.internal_redirect_policy = { response_headers_to_copy: ['x-a', 'x-a'] };
    breaksOnly(TYPE.route, r, 'repeated.unique');
  });
  proves('repeated.items.string.well_known_regex', () => {
    // Domains take any header value but NUL, CR and LF (strict: false): a space passes, a line feed does not.
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].domains.push('odd but legal name');
    assert.deepEqual(violations(TYPE.route, r), []);
    r.virtual_hosts[0].domains.push('web\nx-injected: 1');
    assert.equal(breaksOnly(TYPE.route, r, 'repeated.items.string.well_known_regex').path, 'RouteConfiguration "outbound_http".virtual_hosts[0].domains[5]');
  });
  proves('repeated.items.uint32.lte', () => {
    const l = F.envoyListener();
    l.filter_chains[0].filter_chain_match = { source_ports: [80, 70000] };
    breaksOnly(TYPE.listener, l, 'repeated.items.uint32.lte');
  });
  proves('string.well_known_regex', () => {
    // A strict header name (override_auto_sni_header), in a typed config: a space is refused.
    const c = F.cluster();
    c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = F.pack(TYPE.httpProtocolOptions, {
      upstream_http_protocol_options: { auto_sni: true, override_auto_sni_header: 'x sni' }, explicit_http_config: { http2_protocol_options: {} },
    });
    assert.match(breaksOnly(TYPE.cluster, c, 'string.well_known_regex').path, /<HttpProtocolOptions>\.upstream_http_protocol_options\.override_auto_sni_header$/);
  });
  proves('string.ignore_empty', () => {
    const c = F.cluster();
    c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = F.pack(TYPE.httpProtocolOptions, {
      upstream_http_protocol_options: { auto_sni: true, override_auto_sni_header: '' }, explicit_http_config: { http2_protocol_options: {} },
    });
    assert.deepEqual(violations(TYPE.cluster, c), [], 'an empty override_auto_sni_header is not checked');
  });
  proves('string.max_bytes', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].request_headers_to_add = [{ header: { key: 'x'.repeat(16385), value: 'v' } }];
    breaksOnly(TYPE.route, r, 'string.max_bytes');
  });
  proves('string.pattern', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0].match = { path_separated_prefix: '/api/' };
    breaksOnly(TYPE.route, r, 'string.pattern');
  });
  proves('string.in', () => {
    const l = F.envoyListener();
    l.filter_chains[0].filters[0].typed_config = F.pack(TYPE.hcm, { ...F.connectionManager(), scheme_header_transformation: { scheme_to_overwrite: 'ftp' } });
    breaksOnly(TYPE.listener, l, 'string.in');
  });
  proves('bytes.max_len', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].request_headers_to_add = [{ header: { key: 'x-a', raw_value: Buffer.alloc(16385, 97) } }];
    breaksOnly(TYPE.route, r, 'bytes.max_len');
  });
  proves('bool.const', () => {
    const l = F.envoyListener();
    l.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', filter_disabled: { any_match: false } }];
    breaksOnly(TYPE.listener, l, 'bool.const');
  });
  proves('map.keys.string.min_len', () => {
    const c = F.cluster();
    c.metadata = { filter_metadata: { '': { fields: {} } } };
    breaksOnly(TYPE.cluster, c, 'map.keys.string.min_len');
  });
  proves('enum.not_in', () => {
    const c = F.cluster();
    c.health_checks = [{ timeout: { seconds: 1 }, interval: { seconds: 5 }, unhealthy_threshold: { value: 2 }, healthy_threshold: { value: 2 }, http_health_check: { path: '/health', method: 'CONNECT' } }];
    breaksOnly(TYPE.cluster, c, 'enum.not_in');
  });
});

// The PGV rules no field of ours carries today, proven on a probe message: one field per rule.
protobuf.parse(`
syntax = "proto3";
package conformance.pgv;
import "validate/validate.proto";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Inner { string s = 1 [(validate.rules).string.min_len = 1]; }
message Off { option (validate.disabled) = true; string s = 1 [(validate.rules).string.min_len = 1]; }
enum Colour { RED = 0; GREEN = 1; BLUE = 2; }

message Probe {
  int32 i32_const = 1 [(validate.rules).int32.const = 5];
  int64 i64_lt = 2 [(validate.rules).int64.lt = 10];
  sint32 s32_gt = 3 [(validate.rules).sint32.gt = 0];
  sint64 s64_outside = 4 [(validate.rules).sint64 = {lt: 0, gt: 10}];
  uint32 u32_in = 5 [(validate.rules).uint32 = {in: [1, 2, 3]}];
  fixed32 f32_not_in = 6 [(validate.rules).fixed32 = {not_in: [13]}];
  fixed64 f64_gte = 7 [(validate.rules).fixed64.gte = 2];
  sfixed32 sf32_lte = 8 [(validate.rules).sfixed32.lte = 9];
  sfixed64 sf64_range = 9 [(validate.rules).sfixed64 = {gte: 1, lte: 3}];
  uint64 u64_ignore_empty = 10 [(validate.rules).uint64 = {gte: 10, ignore_empty: true}];
  double d_gt = 11 [(validate.rules).double.gt = 0];
  float f_gte = 12 [(validate.rules).float.gte = 0.5];
  bool b_const = 13 [(validate.rules).bool.const = true];
  string s_const = 14 [(validate.rules).string.const = "fixed"];
  string s_len = 15 [(validate.rules).string.len = 3];
  string s_max_len = 16 [(validate.rules).string.max_len = 4];
  string s_len_bytes = 17 [(validate.rules).string.len_bytes = 3];
  string s_min_bytes = 18 [(validate.rules).string.min_bytes = 3];
  string s_prefix = 19 [(validate.rules).string.prefix = "web-"];
  string s_suffix = 20 [(validate.rules).string.suffix = ".consul"];
  string s_contains = 21 [(validate.rules).string.contains = "@"];
  string s_not_contains = 22 [(validate.rules).string.not_contains = "/"];
  string s_not_in = 23 [(validate.rules).string = {not_in: ["admin"]}];
  string s_hostname = 24 [(validate.rules).string.hostname = true];
  string s_ip = 25 [(validate.rules).string.ip = true];
  string s_ipv4 = 26 [(validate.rules).string.ipv4 = true];
  string s_ipv6 = 27 [(validate.rules).string.ipv6 = true];
  string s_address = 28 [(validate.rules).string.address = true];
  string s_uuid = 29 [(validate.rules).string.uuid = true];
  string s_header_name = 30 [(validate.rules).string.well_known_regex = HTTP_HEADER_NAME];
  string s_header_value = 31 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
  bytes y_const = 32 [(validate.rules).bytes.const = "ab"];
  bytes y_len = 33 [(validate.rules).bytes.len = 2];
  bytes y_min_len = 34 [(validate.rules).bytes.min_len = 1];
  bytes y_prefix = 35 [(validate.rules).bytes.prefix = "GET "];
  bytes y_suffix = 36 [(validate.rules).bytes.suffix = ";"];
  bytes y_contains = 37 [(validate.rules).bytes.contains = "="];
  bytes y_in = 38 [(validate.rules).bytes = {in: ["on", "off"]}];
  bytes y_not_in = 39 [(validate.rules).bytes = {not_in: ["root"]}];
  bytes y_ip = 40 [(validate.rules).bytes.ip = true];
  bytes y_ipv4 = 41 [(validate.rules).bytes.ipv4 = true];
  bytes y_ipv6 = 42 [(validate.rules).bytes.ipv6 = true];
  bytes y_ignore_empty = 43 [(validate.rules).bytes = {len: 4, ignore_empty: true}];
  Colour e_const = 44 [(validate.rules).enum.const = 1];
  Colour e_in = 45 [(validate.rules).enum = {in: [0, 1]}];
  Colour e_defined = 46 [(validate.rules).enum.defined_only = true];
  Inner m_required = 47 [(validate.rules).message.required = true];
  Inner m_skip = 48 [(validate.rules).message.skip = true];
  Inner m_plain = 49;
  Off m_disabled = 50;
  repeated int32 r_items = 51 [(validate.rules).repeated.items.int32.gt = 0];
  repeated string r_ignore_empty = 52 [(validate.rules).repeated = {min_items: 2, ignore_empty: true}];
  map<string, int32> p_min = 53 [(validate.rules).map.min_pairs = 1];
  map<string, int32> p_max = 54 [(validate.rules).map.max_pairs = 1];
  map<string, int32> p_values = 55 [(validate.rules).map.values.int32.lt = 100];
  map<string, Inner> p_no_sparse = 56 [(validate.rules).map.no_sparse = true];
  map<string, int32> p_ignore_empty = 57 [(validate.rules).map = {min_pairs: 2, ignore_empty: true}];
  google.protobuf.Any a_required = 58 [(validate.rules).any.required = true];
  google.protobuf.Any a_in = 59 [(validate.rules).any = {in: ["type.googleapis.com/google.protobuf.Empty"]}];
  google.protobuf.Any a_not_in = 60 [(validate.rules).any = {not_in: ["type.googleapis.com/google.protobuf.Struct"]}];
  google.protobuf.Duration t_required = 61 [(validate.rules).duration.required = true];
  google.protobuf.Duration t_const = 62 [(validate.rules).duration.const = {seconds: 1}];
  google.protobuf.Duration t_lt = 63 [(validate.rules).duration.lt = {seconds: 60}];
  google.protobuf.Duration t_lte = 64 [(validate.rules).duration.lte = {seconds: 60}];
  google.protobuf.Duration t_gte = 65 [(validate.rules).duration.gte = {nanos: 1000000}];
  google.protobuf.Duration t_in = 66 [(validate.rules).duration = {in {seconds: 1} in {seconds: 2}}];
  google.protobuf.Duration t_not_in = 67 [(validate.rules).duration = {not_in {seconds: 3}}];
  google.protobuf.Timestamp w_required = 68 [(validate.rules).timestamp.required = true];
  google.protobuf.Timestamp w_const = 69 [(validate.rules).timestamp.const = {seconds: 1000}];
  google.protobuf.Timestamp w_lt = 70 [(validate.rules).timestamp.lt = {seconds: 2000}];
  google.protobuf.Timestamp w_lte = 71 [(validate.rules).timestamp.lte = {seconds: 2000}];
  google.protobuf.Timestamp w_gt = 72 [(validate.rules).timestamp.gt = {seconds: 1000}];
  google.protobuf.Timestamp w_gte = 73 [(validate.rules).timestamp.gte = {seconds: 1000}];
  google.protobuf.Timestamp w_lt_now = 74 [(validate.rules).timestamp.lt_now = true];
  google.protobuf.Timestamp w_gt_now = 75 [(validate.rules).timestamp.gt_now = true];
  google.protobuf.Timestamp w_within = 76 [(validate.rules).timestamp.within = {seconds: 60}];
  google.protobuf.UInt32Value v_wrapped = 77 [(validate.rules).uint32.lte = 5];
  oneof pick {
    option (validate.required) = true;
    string pick_a = 78;
    string pick_b = 79;
  }
  optional string o_min_len = 80 [(validate.rules).string.min_len = 2];
}
`, root, { keepCase: true });
root.resolveAll();
const Probe = root.lookupType('conformance.pgv.Probe');
const now = Math.floor(Date.now() / 1000);

function validProbe() {
  return {
    i32_const: 5, i64_lt: 9, s32_gt: 1, s64_outside: 11, u32_in: 2, f32_not_in: 12, f64_gte: 2, sf32_lte: 9, sf64_range: 2, d_gt: 0.1, f_gte: 0.5, b_const: true,
    s_const: 'fixed', s_len: 'aé€', s_max_len: 'abcd', s_len_bytes: 'aé', s_min_bytes: 'é€', s_prefix: 'web-1', s_suffix: 'web.service.consul', s_contains: 'a@b', s_not_contains: 'a', s_not_in: 'web',
    s_hostname: 'web.service.consul', s_ip: '::1', s_ipv4: '10.0.0.1', s_ipv6: 'fe80::1', s_address: 'web-1.local', s_uuid: '123e4567-e89b-12d3-a456-426614174000',
    s_header_name: 'x-bridge-token', s_header_value: 'text\twith tab',
    y_const: Buffer.from('ab'), y_len: Buffer.from([0, 0]), y_min_len: Buffer.from([0]), y_prefix: Buffer.from('GET /'), y_suffix: Buffer.from('a;'), y_contains: Buffer.from('a=b'),
    y_in: Buffer.from('off'), y_not_in: Buffer.from('web'), y_ip: Buffer.alloc(16), y_ipv4: Buffer.alloc(4), y_ipv6: Buffer.alloc(16),
    e_const: 1, e_in: 0, e_defined: 2,
    m_required: { s: 'x' }, m_skip: { s: '' }, m_plain: { s: 'x' }, m_disabled: { s: '' },
    r_items: [1, 2], p_min: { a: 1 }, p_max: { a: 1 }, p_values: { a: 99 }, p_no_sparse: { a: { s: 'x' } },
    a_required: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) },
    a_in: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) },
    a_not_in: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) },
    t_required: { seconds: 1 }, t_const: { seconds: 1 }, t_lt: { seconds: 59 }, t_lte: { seconds: 60 }, t_gte: { nanos: 1_000_000 }, t_in: { seconds: 2 }, t_not_in: { seconds: 4 },
    w_required: { seconds: 1 }, w_const: { seconds: 1000 }, w_lt: { seconds: 1999 }, w_lte: { seconds: 2000 }, w_gt: { seconds: 1001 }, w_gte: { seconds: 1000 },
    w_lt_now: { seconds: now - 3600 }, w_gt_now: { seconds: now + 3600 }, w_within: { seconds: now + 10 },
    v_wrapped: { value: 5 }, pick_a: 'a', o_min_len: 'ok',
  };
}

function probeViolations(change) {
  const object = validProbe();
  change(object);
  const message = Probe.decode(Probe.encode(Probe.fromObject(object)).finish());
  return validateMessage(Probe, message, { path: 'Probe' });
}

function probeBreaksOnly(rule, change) {
  const found = probeViolations(change);
  assert.deepEqual(found.map((v) => v.rule), [rule], found.map(text).join('\n'));
}

describe('PGV rules proven on a probe message', () => {
  test('the probe, every rule satisfied, passes', () => assert.deepEqual(probeViolations(() => {}).map(text), []));

  const cases = {
    'int32.const': (p) => { p.i32_const = 6; },
    'int64.lt': (p) => { p.i64_lt = 10; },
    'sint32.gt': (p) => { p.s32_gt = 0; },
    'sint64.gt+lt': (p) => { p.s64_outside = 5; },
    'uint32.in': (p) => { p.u32_in = 4; },
    'fixed32.not_in': (p) => { p.f32_not_in = 13; },
    'fixed64.gte': (p) => { p.f64_gte = 1; },
    'sfixed32.lte': (p) => { p.sf32_lte = 10; },
    'sfixed64.gte': (p) => { p.sf64_range = 0; },
    'sfixed64.lte': (p) => { p.sf64_range = 4; },
    'uint64.gte': (p) => { p.u64_ignore_empty = 9; },
    'double.gt': (p) => { p.d_gt = 0; },
    'float.gte': (p) => { p.f_gte = 0.25; },
    'bool.const': (p) => { p.b_const = false; },
    'string.const': (p) => { p.s_const = 'other'; },
    'string.len': (p) => { p.s_len = 'abcd'; },
    'string.max_len': (p) => { p.s_max_len = 'abcdé'; },
    'string.len_bytes': (p) => { p.s_len_bytes = 'abc\u00e9'; },
    'string.min_bytes': (p) => { p.s_min_bytes = 'é'; },
    'string.prefix': (p) => { p.s_prefix = 'api-1'; },
    'string.suffix': (p) => { p.s_suffix = 'web.local'; },
    'string.contains': (p) => { p.s_contains = 'ab'; },
    'string.not_contains': (p) => { p.s_not_contains = 'a/b'; },
    'string.not_in': (p) => { p.s_not_in = 'admin'; },
    'string.hostname': (p) => { p.s_hostname = 'web_1.consul'; },
    'string.ip': (p) => { p.s_ip = 'localhost'; },
    'string.ipv4': (p) => { p.s_ipv4 = '::1'; },
    'string.ipv6': (p) => { p.s_ipv6 = '10.0.0.1'; },
    'string.address': (p) => { p.s_address = 'web 1'; },
    'string.uuid': (p) => { p.s_uuid = '123e4567-e89b-12d3-a456'; },
    'string.well_known_regex': (p) => { p.s_header_value = 'line\nbreak'; },
    'bytes.const': (p) => { p.y_const = Buffer.from('ac'); },
    'bytes.len': (p) => { p.y_len = Buffer.from([0]); },
    'bytes.min_len': (p) => { p.y_min_len = Buffer.alloc(0); },
    'bytes.prefix': (p) => { p.y_prefix = Buffer.from('PUT /'); },
    'bytes.suffix': (p) => { p.y_suffix = Buffer.from(';a'); },
    'bytes.contains': (p) => { p.y_contains = Buffer.from('ab'); },
    'bytes.in': (p) => { p.y_in = Buffer.from('maybe'); },
    'bytes.not_in': (p) => { p.y_not_in = Buffer.from('root'); },
    'bytes.ip': (p) => { p.y_ip = Buffer.alloc(5); },
    'bytes.ipv4': (p) => { p.y_ipv4 = Buffer.alloc(16); },
    'bytes.ipv6': (p) => { p.y_ipv6 = Buffer.alloc(4); },
    'bytes.len (bytes.ignore_empty lets an empty value through, not a short one)': (p) => { p.y_ignore_empty = Buffer.from([1]); },
    'enum.const': (p) => { p.e_const = 2; },
    'enum.in': (p) => { p.e_in = 2; },
    'enum.defined_only': (p) => { p.e_defined = 7; },
    'message.required': (p) => { delete p.m_required; },
    'string.min_len (a nested message is validated)': (p) => { p.m_plain = { s: '' }; },
    'repeated.items.int32.gt': (p) => { p.r_items = [1, 0]; },
    'repeated.min_items (repeated.ignore_empty lets an empty list through, not a short one)': (p) => { p.r_ignore_empty = ['one']; },
    'map.min_pairs': (p) => { p.p_min = {}; },
    'map.max_pairs': (p) => { p.p_max = { a: 1, b: 2 }; },
    'map.values.int32.lt': (p) => { p.p_values = { a: 100 }; },
    'map.min_pairs (map.ignore_empty lets an empty map through, not a small one)': (p) => { p.p_ignore_empty = { a: 1 }; },
    'any.required': (p) => { delete p.a_required; },
    'any.in': (p) => { p.a_in = { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.alloc(0) }; },
    'any.not_in': (p) => { p.a_not_in = { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.alloc(0) }; },
    'duration.required': (p) => { delete p.t_required; },
    'duration.const': (p) => { p.t_const = { seconds: 2 }; },
    'duration.lt': (p) => { p.t_lt = { seconds: 60 }; },
    'duration.lte': (p) => { p.t_lte = { seconds: 60, nanos: 1 }; },
    'duration.gte': (p) => { p.t_gte = { nanos: 999_999 }; },
    'duration.in': (p) => { p.t_in = { seconds: 3 }; },
    'duration.not_in': (p) => { p.t_not_in = { seconds: 3 }; },
    'timestamp.required': (p) => { delete p.w_required; },
    'timestamp.const': (p) => { p.w_const = { seconds: 1001 }; },
    'timestamp.lt': (p) => { p.w_lt = { seconds: 2000 }; },
    'timestamp.lte': (p) => { p.w_lte = { seconds: 2001 }; },
    'timestamp.gt': (p) => { p.w_gt = { seconds: 1000 }; },
    'timestamp.gte': (p) => { p.w_gte = { seconds: 999 }; },
    'timestamp.lt_now': (p) => { p.w_lt_now = { seconds: now + 3600 }; },
    'timestamp.gt_now': (p) => { p.w_gt_now = { seconds: now - 3600 }; },
    'timestamp.within': (p) => { p.w_within = { seconds: now + 3600 }; },
    'uint32.lte (on a wrapper, its value)': (p) => { p.v_wrapped = { value: 6 }; },
    'oneof.required': (p) => { delete p.pick_a; },
    'string.min_len (a proto3 optional field, once set)': (p) => { p.o_min_len = 'x'; },
  };
  for (const [name, change] of Object.entries(cases)) {
    const rule = name.split(' ')[0];
    // "bytes.len (bytes.ignore_empty lets ...)": the case proves the rule in parentheses too.
    for (const also of name.matchAll(/\(([a-z0-9_]+\.[a-z_]+) /g)) tested.add(also[1]);
    proves(name, () => probeBreaksOnly(rule, change));
  }

  proves('map.no_sparse', () => {
    // A map entry whose message value is missing, as it reaches the wire: key only.
    const entry = protobuf.Writer.create().uint32((1 << 3) | 2).string('k').finish();
    const field = protobuf.Writer.create().uint32((56 << 3) | 2).bytes(entry).finish();
    const sparse = Buffer.concat([Probe.encode(Probe.fromObject({ ...validProbe(), p_no_sparse: {} })).finish(), field]);
    const found = validateMessage(Probe, Probe.decode(sparse), { path: 'Probe' });
    assert.deepEqual(found.map((v) => v.rule), ['map.no_sparse'], found.map(text).join('\n'));
  });
  proves('message.skip', () => assert.deepEqual(probeViolations((p) => { p.m_skip = { s: '' }; }), [], 'a skipped message is not validated'));
  proves('(validate.disabled)', () => assert.deepEqual(probeViolations((p) => { p.m_disabled = { s: '' }; }), [], 'a disabled message is not validated'));
  proves('uint64.ignore_empty', () => assert.deepEqual(probeViolations((p) => { p.u64_ignore_empty = 0; }), [], 'zero is not checked'));
  proves('string.strict', () => {
    // A strict header name refuses what a loose one allows (see repeated.items.string.well_known_regex on domains).
    probeBreaksOnly('string.well_known_regex', (p) => { p.s_header_name = 'x bridge'; });
  });

  test('every rule kind the validator implements is proven by a test here', () => {
    // A test of `repeated.items.X.Y` (or map keys/values) proves both X.Y and the items rule; `K.gt+lt` proves
    // K.gt and K.lt. The twelve numeric kinds share one implementation, so each comparison is proven once.
    const proven = new Set();
    for (const id of tested) {
      const m = id.match(/^(repeated\.items|map\.keys|map\.values)\.(.+)$/);
      if (m) proven.add(m[1]).add(m[2]);
      const r = id.match(/^(\w+)\.(\w+)\+(\w+)$/);
      if (r) proven.add(`${r[1]}.${r[2]}`).add(`${r[1]}.${r[3]}`);
      proven.add(id);
    }
    const numeric = ['float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64'];
    const missing = [];
    for (const [kind, rules] of Object.entries(IMPLEMENTED)) {
      for (const rule of rules) {
        const ok = numeric.includes(kind) ? numeric.some((k) => proven.has(`${k}.${rule}`)) : proven.has(`${kind}.${rule}`);
        if (!ok) missing.push(`${kind}.${rule}`);
      }
    }
    assert.deepEqual(missing, [], 'rules with no test that proves them');
  });
});

// Envoy's and gRPC's semantic checks, each on a resource (or a stream's worth of them) that breaks only it.
describe('semantic checks', () => {
  const semantic = new Set();
  const check = (rule, fn) => {
    semantic.add(rule);
    test(rule, fn);
  };

  check('envoy.route.unique_domains', () => {
    // The bridge's translation of two Consul services whose names differ only in case.
    const r = F.routeConfiguration(['web', 'Web']);
    const found = violations(TYPE.route, r);
    assert.equal(found.length, 4, found.map(text).join('\n'));
    assert.ok(found.every((v) => v.rule === 'envoy.route.unique_domains'));
    assert.match(found[0].detail, /"Web" \(lowercased "web"\) is already in virtual host "web"/);
  });
  check('envoy.route.single_wildcard', () => {
    const r = F.routeConfiguration(['web', 'api']);
    r.virtual_hosts[0].domains.push('*');
    r.virtual_hosts[1].domains.push('*');
    breaksOnly(TYPE.route, r, 'envoy.route.single_wildcard');
  });
  check('envoy.route.weighted_clusters', () => {
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0].route = { weighted_clusters: { clusters: [{ name: 'web', weight: { value: 0 } }, { name: 'api', weight: { value: 0 } }] } };
    breaksOnly(TYPE.route, r, 'envoy.route.weighted_clusters');
    r.virtual_hosts[0].routes[0].route = { weighted_clusters: { clusters: [{ name: 'web', weight: { value: 4294967295 } }, { name: 'api', weight: { value: 1 } }] } };
    breaksOnly(TYPE.route, r, 'envoy.route.weighted_clusters');
  });
  check('envoy.duration.range', () => {
    const c = F.cluster();
    c.outlier_detection.interval = { seconds: 315576000001 };
    breaksOnly(TYPE.cluster, c, 'envoy.duration.range');
    // A route timeout carries no PGV rule; Envoy still refuses a negative one.
    const r = F.routeConfiguration(['web']);
    r.virtual_hosts[0].routes[0].route.timeout = { seconds: -1 };
    breaksOnly(TYPE.route, r, 'envoy.duration.range');
  });
  check('envoy.typed_config.known', () => {
    const c = F.cluster();
    c.typed_extension_protocol_options.other = { type_url: 'type.googleapis.com/example.NotAnEnvoyType', value: Buffer.alloc(0) };
    breaksOnly(TYPE.cluster, c, 'envoy.typed_config.known');
  });
  check('envoy.hcm.terminal_filter', () => {
    const hcm = F.connectionManager();
    hcm.http_filters.push({ name: 'envoy.filters.http.fault', typed_config: F.pack('type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', {}) });
    const l = F.envoyListener();
    l.filter_chains[0].filters[0].typed_config = F.pack(TYPE.hcm, hcm);
    const found = violations(TYPE.listener, l);
    assert.deepEqual(found.map((v) => v.rule), ['envoy.hcm.terminal_filter', 'envoy.hcm.terminal_filter'], found.map(text).join('\n'));
    assert.match(found[0].detail, /terminal filter envoy.filters.http.router is not the last/);
  });
  check('envoy.listener.terminal_filter', () => {
    const l = F.envoyListener();
    l.filter_chains[0].filters.push({ name: 'envoy.filters.network.http_connection_manager', typed_config: F.pack(TYPE.hcm, F.connectionManager()) });
    breaksOnly(TYPE.listener, l, 'envoy.listener.terminal_filter');
  });
  check('envoy.cluster.eds_config', () => {
    const c = F.cluster();
    delete c.eds_cluster_config;
    breaksOnly(TYPE.cluster, c, 'envoy.cluster.eds_config');
  });
  check('envoy.cluster.ring_size', () => {
    const c = F.cluster();
    c.ring_hash_lb_config = { minimum_ring_size: { value: 4096 }, maximum_ring_size: { value: 1024 } };
    breaksOnly(TYPE.cluster, c, 'envoy.cluster.ring_size');
  });

  /** Feeds a view one SotW response per [typeUrl, objects]; returns every violation found. */
  function stream(clientKind, responses, protocol = 'sotw') {
    const view = new XdsView(clientKind);
    for (const [typeUrl, objects, removed] of responses) {
      const resources = objects.map((o) => F.pack(typeUrl, o));
      view.accept(protocol === 'sotw' ? { type_url: typeUrl, resources } : {
        type_url: typeUrl, resources: resources.map((any, i) => ({ name: objects[i].name ?? objects[i].cluster_name, resource: any })), removed_resources: removed ?? [],
      }, protocol);
    }
    return view;
  }

  const heavy = () => {
    const a = F.assignment();
    for (const l of a.endpoints) {
      l.load_balancing_weight = { value: 2147483647 };
      l.lb_endpoints[0].load_balancing_weight = { value: 2147483647 };
    }
    a.endpoints.push({ locality: { region: 'dc1', zone: 'b' }, load_balancing_weight: { value: 2147483647 }, lb_endpoints: [F.endpoint('127.0.0.2', 21003, 2147483647)] });
    return a;
  };
  check('envoy.endpoint.host_weight_sum', () => {
    const found = stream('envoy', [[TYPE.cluster, [F.cluster()]], [TYPE.endpoint, [heavy()]]]).violations;
    assert.deepEqual(found.map((v) => v.rule).sort(), ['envoy.endpoint.host_weight_sum', 'envoy.endpoint.locality_weight_sum'], found.map(text).join('\n'));
    const roundRobin = F.cluster();
    roundRobin.lb_policy = 'ROUND_ROBIN';
    delete roundRobin.ring_hash_lb_config;
    assert.deepEqual(stream('envoy', [[TYPE.cluster, [roundRobin]], [TYPE.endpoint, [heavy()]]]).violations, [], 'Envoy checks these sums for hash balancers only');
  });
  check('envoy.endpoint.locality_weight_sum', () => {
    const found = stream('grpc', [[TYPE.endpoint, [heavy()]]]).violations;
    assert.deepEqual(found.map((v) => v.rule), ['envoy.endpoint.locality_weight_sum'], found.map(text).join('\n'));
  });
  check('grpc.endpoint.locality_set', () => {
    const a = F.assignment();
    delete a.endpoints[1].locality;
    breaksOnly(TYPE.endpoint, a, 'grpc.endpoint.locality_set', 'grpc');
    assert.deepEqual(violations(TYPE.endpoint, a, 'envoy'), []);
  });
  check('grpc.endpoint.unique_localities', () => {
    const a = F.assignment();
    a.endpoints[1].locality = { ...a.endpoints[0].locality };
    breaksOnly(TYPE.endpoint, a, 'grpc.endpoint.unique_localities', 'grpc');
  });
  check('grpc.endpoint.unique_addresses', () => {
    const a = F.assignment();
    a.endpoints[1].lb_endpoints.push(F.endpoint('127.0.0.1', 21001));
    breaksOnly(TYPE.endpoint, a, 'grpc.endpoint.unique_addresses', 'grpc');
  });
  check('grpc.endpoint.ip_address', () => {
    const a = F.assignment();
    a.endpoints[1].lb_endpoints[0] = F.endpoint('web-2.example.internal', 21002);
    breaksOnly(TYPE.endpoint, a, 'grpc.endpoint.ip_address', 'grpc');
  });
  check('grpc.endpoint.contiguous_priorities', () => {
    const a = F.assignment();
    a.endpoints[1].priority = 2;
    breaksOnly(TYPE.endpoint, a, 'grpc.endpoint.contiguous_priorities', 'grpc');
  });
  check('grpc.hcm.unique_filter_names', () => {
    const hcm = F.connectionManager('web');
    hcm.http_filters.unshift({ name: 'envoy.filters.http.router', typed_config: F.pack('type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', {}) });
    const l = { name: 'web', api_listener: { api_listener: F.pack(TYPE.hcm, hcm) } };
    breaksOnly(TYPE.listener, l, 'grpc.hcm.unique_filter_names', 'grpc');
  });
  check('envoy.resource.type_url', () => {
    const view = new XdsView('envoy');
    const found = view.accept({ type_url: TYPE.cluster, resources: [F.pack(TYPE.endpoint, F.assignment())] }, 'sotw');
    assert.deepEqual(found.map((v) => v.rule), ['envoy.resource.type_url']);
  });
  check('envoy.listener.unique_names', () => {
    const found = stream('envoy', [[TYPE.listener, [F.envoyListener('outbound_http', 15001), F.envoyListener('outbound_http', 15002)]]]).violations;
    assert.deepEqual(found.map((v) => v.rule), ['envoy.listener.unique_names']);
  });
  check('envoy.listener.unique_addresses', () => {
    const found = stream('envoy', [[TYPE.listener, [F.envoyListener('a', 15001), F.envoyListener('b', 15001)]]]).violations;
    assert.deepEqual(found.map((v) => v.rule), ['envoy.listener.unique_addresses']);
    assert.deepEqual(stream('grpc', [[TYPE.listener, [F.grpcListener('a'), F.grpcListener('b')]]]).violations, [], 'API listeners bind nothing');
  });
  check('envoy.cluster.unique_names', () => {
    const found = stream('envoy', [[TYPE.cluster, [F.cluster('web'), F.cluster('web')]]]).violations;
    assert.deepEqual(found.map((v) => v.rule), ['envoy.cluster.unique_names']);
  });
  check('bridge.resource_name', () => {
    const view = new XdsView('envoy');
    const found = view.accept({ type_url: TYPE.cluster, resources: [{ name: 'api', resource: F.pack(TYPE.cluster, F.cluster('web')) }], removed_resources: [] }, 'delta');
    assert.deepEqual(found.map((v) => v.rule), ['bridge.resource_name']);
  });
  check('bridge.eds_served', () => {
    const view = stream('envoy', [[TYPE.cluster, [F.cluster('web'), F.cluster('api')]], [TYPE.endpoint, [F.assignment('web')]]]);
    assert.deepEqual(view.consistency().map((v) => v.path), ['ClusterLoadAssignment "api"']);
  });
  check('bridge.rds_served', () => {
    const view = stream('envoy', [[TYPE.listener, [F.envoyListener()]]]);
    assert.deepEqual(view.consistency().map((v) => v.rule), ['bridge.rds_served']);
  });
  check('bridge.route_cluster_known', () => {
    const view = stream('envoy', [[TYPE.route, [F.routeConfiguration(['web'])]]]);
    assert.deepEqual(view.consistency().map((v) => v.rule), ['bridge.route_cluster_known']);
  });
  test('delta removals leave the view, and a SotW LDS/CDS response replaces what it held', () => {
    const delta = stream('envoy', [[TYPE.cluster, [F.cluster('web'), F.cluster('api')]], [TYPE.cluster, [], ['api']]], 'delta');
    assert.deepEqual([...delta.of(TYPE.cluster).keys()], ['web']);
    const sotw = stream('envoy', [[TYPE.cluster, [F.cluster('web'), F.cluster('api')]], [TYPE.cluster, [F.cluster('db')]]]);
    assert.deepEqual([...sotw.of(TYPE.cluster).keys()], ['db']);
  });

  test('every semantic rule is proven by a test here', () => {
    assert.deepEqual(Object.keys(SEMANTIC_RULES).filter((r) => !semantic.has(r)), []);
  });
});
