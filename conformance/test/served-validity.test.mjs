// Everything the bridge serves passes Envoy's validation (lib/envoy-validate.mjs): the upstream protos' PGV
// rules and the semantic checks Envoy and proxyless gRPC make, for Envoy and gRPC nodes, over state of the
// world and delta. The catalog holds every shape a Consul catalog can give the bridge (meta options valid and
// not, weights up to Consul's maximum, health states, zones, address families, unusual service names); then
// the same holds for scoped nodes, across removals (gRPC tombstones) and across a settings reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TYPE, envoyNode, grpcNode } from '../lib/ads-client.mjs';
import { Bridge } from '../lib/bridge.mjs';
import { Follower, snapshot } from '../lib/xds-snapshot.mjs';
import { useBridge } from '../lib/suite.mjs';
import { TRAFFIC_AGENT_OPTIONS } from '../lib/traffic-scenarios.mjs';
import { waitFor } from '../lib/wait.mjs';

const MAX_WEIGHT = 65535; // the largest weight Consul takes (structs.ValidateWeights: DNS weights are 0-65535)

// service -> { meta, instances: [{ id, port, address?, weights?, status?, maintenance?, node?, zone? }] }
const CATALOG = {
  plain: { instances: [{ port: 31001 }] },
  weighted: {
    instances: [
      { port: 31011, weights: { passing: 1, warning: 1 } },
      { port: 31012, weights: { passing: 3, warning: 1 } },
      { port: 31013, weights: { passing: 3, warning: 2 }, status: 'warning' },
      { port: 31014, weights: { passing: 3, warning: 0 }, status: 'warning' },
    ],
  },
  'half-down': { instances: [{ port: 31021, status: 'critical' }, { port: 31022 }, { port: 31023, maintenance: true }] },
  'all-down': { instances: [{ port: 31031, status: 'critical' }] },
  'grpc-lr': {
    meta: {
      protocol: 'grpc', lb_policy: 'least_request', connect_timeout: '1ms',
      outlier_consecutive_5xx: '1', outlier_interval: '1ms', outlier_base_ejection_time: '24h', outlier_max_ejection_percent: '100',
    },
    instances: [{ port: 31041 }],
  },
  'h2-random': { meta: { protocol: 'http2', lb_policy: 'random', connect_timeout: '24h' }, instances: [{ port: 31051 }] },
  ring: { meta: { lb_policy: 'ring_hash' }, instances: [{ port: 31061 }, { port: 31062, weights: { passing: 7, warning: 1 } }] },
  maglev: { meta: { lb_policy: 'maglev', outlier_max_ejection_percent: '0' }, instances: [{ port: 31071 }] },
  'odd-meta': {
    meta: { protocol: 'udp', connect_timeout: '-1s', lb_policy: 'fastest', outlier_consecutive_5xx: '0', outlier_interval: '1y', outlier_max_ejection_percent: '101' },
    instances: [{ port: 31081 }],
  },
  zoned: {
    instances: [
      { port: 31091, node: 'rack-a1', zone: 'zone-a', address: '127.0.1.1' },
      { port: 31092, node: 'rack-a2', zone: 'zone-a', address: '127.0.1.2', weights: { passing: 5, warning: 1 } },
      { port: 31093, node: 'rack-b1', zone: 'zone-b', address: '127.0.1.3' },
      { port: 31094, node: 'rack-c1', zone: 'zone-c', address: '127.0.1.4', status: 'critical' },
    ],
  },
  dual: { instances: [{ port: 31101, address: '127.0.0.2' }, { port: 31102, address: '::1' }, { port: 31103, address: 'dual.example.internal' }] },
  'api.v2': { instances: [{ port: 31111 }] },
  legacy_db: { instances: [{ port: 31121 }] },
  '7zip': { instances: [{ port: 31131 }] },
  Billing: { instances: [{ port: 31141 }] },
  café: { instances: [{ port: 31151 }] },
  [`long-${'a'.repeat(120)}`]: { instances: [{ port: 31161 }] },
  // Weights at Consul's maximum, on hash balancers and round robin, spread over zones and weight classes.
  'heavy-ring': {
    meta: { lb_policy: 'ring_hash' },
    instances: [
      { port: 31171, node: 'heavy-a', zone: 'zone-a', address: '127.0.2.1', weights: { passing: MAX_WEIGHT, warning: 1 } },
      { port: 31172, node: 'heavy-b', zone: 'zone-b', address: '127.0.2.2', weights: { passing: MAX_WEIGHT, warning: 1 } },
      { port: 31173, node: 'heavy-c', zone: 'zone-c', address: '127.0.2.3', weights: { passing: MAX_WEIGHT, warning: 1 } },
    ],
  },
  'heavy-maglev': {
    meta: { lb_policy: 'maglev' },
    instances: [
      { port: 31181, weights: { passing: MAX_WEIGHT, warning: 1 } },
      { port: 31182, weights: { passing: MAX_WEIGHT - 1, warning: 1 } },
      { port: 31183, weights: { passing: MAX_WEIGHT - 2, warning: 1 } },
    ],
  },
  'heavy-rr': {
    instances: [
      { port: 31191, weights: { passing: MAX_WEIGHT, warning: 1 } },
      { port: 31192, weights: { passing: MAX_WEIGHT - 1, warning: 1 } },
      { port: 31193, weights: { passing: MAX_WEIGHT - 2, warning: 1 } },
    ],
  },
};

async function register(agent, name, service) {
  for (const [i, inst] of service.instances.entries()) {
    const id = `${name}-${i + 1}`;
    const instance = { id, name, address: inst.address, port: inst.port, meta: service.meta ?? {}, weights: inst.weights, status: inst.status ?? 'passing' };
    if (inst.node) await agent.catalogRegister({ ...instance, node: inst.node, nodeMeta: { zone: inst.zone, rack: inst.node } });
    else await agent.register(instance);
    if (inst.maintenance) await agent.maintenance(id, true);
  }
}

const env = useBridge({
  agentOptions: TRAFFIC_AGENT_OPTIONS,
  async setup(env) {
    for (const [name, service] of Object.entries(CATALOG)) await register(env.agent, name, service);
    await waitFor('the bridge to serve the whole catalog', () => env.bridge.admin('/debug/catalog'),
      ({ body }) => Object.keys(CATALOG).every((n) => body.services.some((s) => s.name === n)));
  },
});

const names = async () => Object.keys(await env.agent.get('/v1/catalog/services')).sort();

/** Takes all four snapshots (Envoy and gRPC, SotW and delta) for nodes named after `label`. */
async function allFour(label, { metadata = {}, services, address = env.bridge.adsAddress } = {}) {
  const views = {};
  for (const protocol of ['sotw', 'delta']) {
    views[`envoy/${protocol}`] = await snapshot(address, envoyNode(`${label}-envoy-${protocol}`, metadata), { protocol });
    views[`grpc/${protocol}`] = await snapshot(address, grpcNode(`${label}-grpc-${protocol}`, metadata), { protocol, services: services ?? await names() });
  }
  return views;
}

env.scenario('every shape of catalog: what Envoy and gRPC nodes are served, SotW and delta, passes Envoy\'s validation', async () => {
  const catalog = await names();
  const views = await allFour('shapes', { services: [...catalog, 'plain:50051', 'weighted:8080'] });
  for (const [which, view] of Object.entries(views)) {
    assert.deepEqual([...view.of(TYPE.cluster).keys()].sort(), catalog, `${which}: a cluster per service`);
    assert.equal(view.of(TYPE.endpoint).size, catalog.length, `${which}: an assignment per cluster`);
    assert.deepEqual(view.violations, [], `${which}: no violation`);
  }
  assert.deepEqual([...views['envoy/sotw'].of(TYPE.listener).keys()], ['outbound_http']);
  const vhosts = views['envoy/delta'].of(TYPE.route).get('outbound_http').plain.virtual_hosts.map((v) => v.name).sort();
  assert.deepEqual(vhosts, catalog, 'Envoy: a virtual host per service');
  assert.ok(views['grpc/sotw'].of(TYPE.listener).has('plain:50051'), 'gRPC: the listener of a target with a port');
});

env.scenario('scoped nodes (bridge.services as a string, as a list, as *): only their services, and all of it valid', async () => {
  const catalog = await names();
  const scoped = { 'bridge.services': 'api.v2,legacy_db,heavy-ring' };
  const listed = { 'bridge.services': ['ring', 'zoned'] };
  for (const protocol of ['sotw', 'delta']) {
    const envoy = await snapshot(env.bridge.adsAddress, envoyNode(`scoped-envoy-${protocol}`, scoped), { protocol });
    assert.deepEqual([...envoy.of(TYPE.cluster).keys()].sort(), ['api.v2', 'heavy-ring', 'legacy_db'], `Envoy ${protocol}: only the declared clusters`);
    assert.deepEqual(envoy.of(TYPE.route).get('outbound_http').plain.virtual_hosts.map((v) => v.name).sort(), ['api.v2', 'heavy-ring', 'legacy_db'],
      `Envoy ${protocol}: only the declared virtual hosts`);
    const listedEnvoy = await snapshot(env.bridge.adsAddress, envoyNode(`listed-envoy-${protocol}`, listed), { protocol });
    assert.deepEqual([...listedEnvoy.of(TYPE.cluster).keys()].sort(), ['ring', 'zoned'], `Envoy ${protocol}: a list of services`);
    const all = await snapshot(env.bridge.adsAddress, envoyNode(`star-envoy-${protocol}`, { 'bridge.services': '*' }), { protocol });
    assert.deepEqual([...all.of(TYPE.cluster).keys()].sort(), catalog, `Envoy ${protocol}: * is every service`);
    const grpc = await snapshot(env.bridge.adsAddress, grpcNode(`scoped-grpc-${protocol}`, listed), { protocol, services: ['ring', 'zoned'] });
    assert.deepEqual([...grpc.of(TYPE.listener).keys()].sort(), ['ring', 'zoned'], `gRPC ${protocol}: the declared listeners`);
  }
});

/** Opens a follower per kind and protocol on `address`; gRPC ones dial `services`. */
function followers(address, label, services) {
  return [
    new Follower(address, envoyNode(`${label}-envoy-sotw`), { protocol: 'sotw' }),
    new Follower(address, envoyNode(`${label}-envoy-delta`), { protocol: 'delta' }),
    new Follower(address, grpcNode(`${label}-grpc-sotw`), { protocol: 'sotw', services }),
    new Follower(address, grpcNode(`${label}-grpc-delta`), { protocol: 'delta', services }),
  ];
}

const endpointsOf = (view, name) => view.of(TYPE.endpoint).get(name)?.plain.endpoints.flatMap((l) => l.lb_endpoints) ?? null;

env.scenario('removals: an instance, every healthy instance, then the whole service (gRPC keeps a tombstone), and back: every push valid', async () => {
  await register(env.agent, 'gone-a', { instances: [{ port: 31201 }, { port: 31202 }] });
  await register(env.agent, 'gone-b', { instances: [{ port: 31211 }] });
  await waitFor('the bridge to list gone-a and gone-b', () => env.bridge.admin('/debug/catalog'),
    ({ body }) => ['gone-a', 'gone-b'].every((n) => body.services.some((s) => s.name === n)));
  const all = followers(env.bridge.adsAddress, 'removals', ['gone-a', 'gone-b', 'plain']);
  const [envoySotw, envoyDelta, ...grpc] = all;
  const each = (fs, done, what) => Promise.all(fs.map((f) => f.until(done, { what })));
  try {
    await each(all, null, 'the first snapshot');

    await env.agent.deregister('gone-a-1');
    await each(all, (v) => endpointsOf(v, 'gone-a')?.length === 1, 'gone-a to have one endpoint left');

    await env.agent.check('gone-b-1', 'fail');
    await each(all, (v) => endpointsOf(v, 'gone-b')?.length === 0, 'gone-b\'s assignment to empty');

    await env.agent.deregister('gone-a-2');
    await each([envoySotw, envoyDelta], (v) => !v.of(TYPE.cluster).has('gone-a')
      && !v.of(TYPE.route).get('outbound_http').plain.virtual_hosts.some((vh) => vh.name === 'gone-a'), 'Envoy to drop gone-a');
    await each(grpc, (v) => endpointsOf(v, 'gone-a')?.length === 0, 'gRPC to hold gone-a without endpoints');
    for (const f of grpc) {
      for (const t of [TYPE.listener, TYPE.route, TYPE.cluster]) assert.ok(f.view.of(t).has('gone-a'), `${f.node.id}: the tombstone keeps gone-a's ${t.split('.').pop()}`);
    }
    for (const f of all) f.assertConsistent();

    await env.agent.register({ id: 'gone-a-1', name: 'gone-a', port: 31201 });
    await each(all, (v) => v.of(TYPE.cluster).has('gone-a') && endpointsOf(v, 'gone-a')?.length === 1, 'gone-a to be back');
    for (const f of all) {
      f.assertConsistent();
      assert.deepEqual(f.view.violations, [], `${f.node.id}: no violation`);
    }
  } finally {
    for (const f of all) f.close();
  }
});

env.scenario('a settings reload (listener renamed in place, then moved; health mapping, timeout and zone key changed): every push and the result valid', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-reload-'));
  const file = path.join(dir, 'appsettings.json');
  const write = (settings) => {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(settings));
    fs.renameSync(`${file}.tmp`, file);
  };
  write({ Xds: { EnvoyListenerName: 'outbound_http', EnvoyListenerPort: 15001 } });
  const bridge = await Bridge.start({ consulAddress: env.agent.url, configFile: file });
  const catalog = await names();
  const scoped = new Follower(bridge.adsAddress, envoyNode('reload-envoy-scoped', { 'bridge.services': 'plain,ring' }), { protocol: 'delta' });
  const all = [...followers(bridge.adsAddress, 'reload', catalog), scoped];
  const envoys = [...all.slice(0, 2), scoped];
  const each = (fs, done, what) => Promise.all(fs.map((f) => f.until(done, { what })));
  const reload = async (settings) => {
    const reloaded = bridge.proc.waitForLine(/\[5101\]/);
    write(settings);
    bridge.reload();
    await reloaded;
  };
  try {
    await each(all, null, 'the first snapshot');

    // The same address under a new name: Envoy refuses the new listener while it still holds the old one there.
    await reload({ Xds: { EnvoyListenerName: 'egress', EnvoyListenerPort: 15001, Warning: 'Exclude', Unhealthy: 'Unhealthy', ConnectTimeout: '00:00:00.250', ZoneNodeMetaKey: 'rack' } });
    await each(envoys, (v) => v.of(TYPE.listener).has('egress') && !v.of(TYPE.listener).has('outbound_http') && v.of(TYPE.route).has('egress'), 'the listener to be renamed');
    // Critical instances are now sent as UNHEALTHY, and clusters carry the new connect timeout.
    await each(all.slice(0, 4), (v) => v.of(TYPE.cluster).get('plain')?.plain.connect_timeout?.nanos === 250_000_000
      && endpointsOf(v, 'half-down')?.some((e) => e.health_status === 'UNHEALTHY'), 'the new connect timeout and health mapping');

    await reload({ Xds: { EnvoyListenerName: 'egress', EnvoyListenerAddress: '::1', EnvoyListenerPort: 15002, Unhealthy: 'Unhealthy' } });
    await each(envoys, (v) => v.of(TYPE.listener).get('egress')?.plain.address.socket_address.port_value === 15002, 'the listener to move');
    for (const f of all) {
      f.assertConsistent();
      assert.deepEqual(f.view.violations, [], `${f.node.id}: no violation`);
    }
    const fresh = await allFour('reloaded', { address: bridge.adsAddress, services: catalog });
    assert.deepEqual([...fresh['envoy/delta'].of(TYPE.listener).keys()], ['egress']);
  } finally {
    for (const f of all) f.close();
    await bridge.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Consul lists `web` and `Web` as two services; Envoy lowercases domains and refuses a route that repeats one
// ("Only unique values for domains are permitted"): the bridge gives them one virtual host.
env.scenario('two services whose names differ only in case (web, Web): what every node is served passes Envoy\'s validation', async () => {
  await env.agent.register({ id: 'case-lower', name: 'web', port: 31301 });
  await env.agent.register({ id: 'case-upper', name: 'Web', port: 31302 });
  try {
    await waitFor('the bridge to list web and Web', () => env.bridge.admin('/debug/catalog'),
      ({ body }) => ['web', 'Web'].every((n) => body.services.some((s) => s.name === n)));
    const views = await allFour('case');
    for (const view of Object.values(views)) assert.deepEqual(view.violations, []);
  } finally {
    await env.agent.deregister('case-lower');
    await env.agent.deregister('case-upper');
  }
});

// Every kind of config entry and every option the bridge translates, for one service (tm-web) that splits to another
// (tm-api) and fails over to dc2: what Envoy and gRPC nodes are served passes the validation, and references hold.
const TRAFFIC_ENTRIES = [
  { Kind: 'service-defaults', Name: 'tm-web', Protocol: 'http' },
  { Kind: 'service-defaults', Name: 'tm-api', Protocol: 'http' },
  {
    Kind: 'service-resolver', Name: 'tm-web', DefaultSubset: 'v1', ConnectTimeout: '2s', RequestTimeout: '15s',
    Subsets: { v1: { Filter: '"v1" in Service.Tags' }, v2: { Filter: '"v2" in Service.Tags', OnlyPassing: true } },
    Failover: { v2: { Datacenters: ['dc2'] } },
    LoadBalancer: {
      Policy: 'ring_hash', RingHashConfig: { MinimumRingSize: 1024, MaximumRingSize: 9000000 },
      HashPolicies: [
        { Field: 'header', FieldValue: 'x-user' },
        { Field: 'cookie', FieldValue: 'session', CookieConfig: { TTL: '30s', Path: '/' } },
        { Field: 'query_parameter', FieldValue: 'u' },
        { SourceIP: true, Terminal: true },
      ],
    },
  },
  { Kind: 'service-resolver', Name: 'tm-api', LoadBalancer: { Policy: 'least_request', LeastRequestConfig: { ChoiceCount: 3 } } },
  // How the service tm-caller calls its upstreams: its nodes get the clusters above with these applied.
  {
    Kind: 'service-defaults', Name: 'tm-caller',
    UpstreamConfig: {
      Defaults: {
        ConnectTimeoutMs: 750,
        Limits: { MaxConnections: 0, MaxPendingRequests: 4294967295, MaxConcurrentRequests: 64 },
        PassiveHealthCheck: { Interval: '1s', MaxFailures: 0, EnforcingConsecutive5xx: 100, MaxEjectionPercent: 0, BaseEjectionTime: '24h' },
      },
      Overrides: [{ Name: 'tm-web', ConnectTimeoutMs: 86400000, PassiveHealthCheck: { Interval: '1ms', MaxFailures: 4294967295, MaxEjectionPercent: 100 } }],
    },
  },
  {
    Kind: 'service-splitter', Name: 'tm-web',
    Splits: [
      { Weight: 89.99, ServiceSubset: 'v1', RequestHeaders: { Set: { 'x-split': 'v1' } }, ResponseHeaders: { Remove: ['server'] } },
      { Weight: 0.01, ServiceSubset: 'v2' },
      { Weight: 10, Service: 'tm-api' },
    ],
  },
  {
    Kind: 'service-router', Name: 'tm-web',
    Routes: [
      {
        Match: { HTTP: { PathPrefix: '/admin', Header: [{ Name: 'x-canary', Regex: 'y(es)?' }, { Name: 'x-debug', Present: true, Invert: true }], Methods: ['GET', 'POST'] } },
        Destination: { ServiceSubset: 'v2', PrefixRewrite: '/', RequestTimeout: '5s', IdleTimeout: '30s', NumRetries: 3, RetryOnConnectFailure: true, RetryOn: ['unavailable', '5xx'], RetryOnStatusCodes: [503] },
      },
      { Match: { HTTP: { PathExact: '/q', QueryParam: [{ Name: 'v', Exact: '2' }] } }, Destination: { Service: 'tm-api' } },
      { Match: { HTTP: { PathRegex: '/tm\\.Svc/.*', Methods: ['GET'] } }, Destination: { ServiceSubset: 'v1' } },
    ],
  },
];

env.scenario('config entries of every kind (router, splitter, resolver with subsets, ring hash and failover to dc2): every node is served valid resources', async () => {
  await env.agent.register({ id: 'tm-web-1', name: 'tm-web', port: 31401, tags: ['v1'] });
  await env.agent.register({ id: 'tm-web-2', name: 'tm-web', port: 31402, tags: ['v2'] });
  await env.agent.register({ id: 'tm-api-1', name: 'tm-api', port: 31411 });
  await env.agent.catalogRegister({ node: 'tm-dc2', id: 'tm-web-dc2', name: 'tm-web', address: '10.255.0.9', port: 31403, tags: ['v2'], datacenter: 'dc2', wan: { address: '127.0.0.9' } });
  for (const entry of TRAFFIC_ENTRIES) assert.equal(await env.agent.putConfigEntry(entry), true, `${entry.Kind} ${entry.Name} written`);
  try {
    await waitFor('the chain to be served', () => env.bridge.admin('/debug/xds'),
      ({ body }) => body.chains?.['tm-web']?.clusters.includes('tm-web~v2@dc2') && !body.chains['tm-web'].rejected);
    await waitFor('the dc2 instance to be served', () => snapshot(env.bridge.adsAddress, grpcNode('traffic-probe'), { services: ['tm-web'] }),
      (view) => endpointsOf(view, 'tm-web~v2@dc2')?.length === 1);
    const chain = (await env.bridge.admin('/debug/xds')).body.chains['tm-web'];
    const views = await allFour('traffic', { services: ['tm-web', 'tm-api'] });
    for (const [which, view] of Object.entries(views)) {
      assert.deepEqual(view.violations, [], `${which}: no violation`);
      for (const name of ['tm-web~v1', 'tm-web~v2', 'tm-web~v2@dc2', 'tm-web~v2/failover', 'tm-api']) {
        assert.ok(view.of(TYPE.cluster).has(name), `${which}: cluster ${name} served`);
      }
    }
    assert.deepEqual(endpointsOf(views['grpc/delta'], 'tm-web~v2@dc2').map((e) => e.endpoint.address.socket_address.address), ['127.0.0.9'],
      'the dc2 instance at its WAN address');
    assert.ok(chain.notSent.some((n) => n.startsWith('grpc: ')), `what gRPC is not sent is listed: ${JSON.stringify(chain.notSent)}`);

    // Nodes of tm-caller: the same clusters with its upstream settings, every edge value of them valid too.
    await waitFor('tm-caller\'s clusters to be built', () => env.bridge.admin('/debug/xds'),
      ({ body }) => body.callers?.['tm-caller']?.clusters.includes('tm-web~v2@dc2'));
    const callers = await allFour('traffic-caller', { services: ['tm-web', 'tm-api'], metadata: { 'bridge.service_name': 'tm-caller' } });
    for (const [which, view] of Object.entries(callers)) {
      assert.deepEqual(view.violations, [], `${which} of tm-caller: no violation`);
      for (const name of ['tm-web~v1', 'tm-web~v2@dc2', 'tm-api']) {
        const cluster = view.of(TYPE.cluster).get(name)?.message;
        assert.equal(cluster?.circuit_breakers?.thresholds?.[0]?.max_requests?.value, 64, `${which}: ${name} has the caller's limit`);
        assert.ok(cluster.outlier_detection, `${which}: ${name} has the caller's passive health check`);
      }
      assert.equal(view.of(TYPE.cluster).get('tm-web~v1').message.outlier_detection.consecutive_5xx?.value, 4294967295, `${which}: tm-web's override`);
      assert.equal(view.of(TYPE.cluster).get('tm-web~v2/failover').message.circuit_breakers, null, `${which}: an aggregate has no limits of its own`);
    }
  } finally {
    for (const entry of [...TRAFFIC_ENTRIES].reverse()) await env.agent.deleteConfigEntry(entry.Kind, entry.Name);
    for (const id of ['tm-web-1', 'tm-web-2', 'tm-api-1']) await env.agent.deregister(id);
  }
});
