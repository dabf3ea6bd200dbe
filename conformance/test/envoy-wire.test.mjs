// What the bridge sends an Envoy node, checked on the wire: a raw ADS client in Node (upstream Envoy protos
// from grpc-js-xds, not the bridge's own) plays Envoy's part, state of the world then delta, and every
// resource is decoded and held against what the bridge is meant to say for the Consul catalog it watches.
import assert from 'node:assert/strict';
import { DeltaAds, SotwAds, TYPE, adsStub, envoyNode, unpack } from '../lib/ads-client.mjs';
import { useBridge } from '../lib/suite.mjs';

const DEFAULT_CONNECT_TIMEOUT = { seconds: '3', nanos: 0 };
const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const QUIET_MS = 1500;

// The catalog: no traffic flows here, so instances are plain address:port pairs.
const SERVICES = {
  web: {
    meta: {},
    instances: [
      { id: 'web-1', port: 21001, weights: { passing: 1, warning: 1 } },
      { id: 'web-2', port: 21002, weights: { passing: 3, warning: 1 } },
      { id: 'web-3', port: 21003, status: 'critical' },
      { id: 'web-4', port: 21004, maintenance: true },
    ],
  },
  api: {
    meta: {
      protocol: 'grpc',
      lb_policy: 'least_request',
      connect_timeout: '250ms',
      outlier_consecutive_5xx: '7',
      outlier_interval: '15s',
      outlier_base_ejection_time: '45s',
      outlier_max_ejection_percent: '30',
    },
    instances: [{ id: 'api-1', port: 22001 }],
  },
  stream: { meta: { protocol: 'http2', lb_policy: 'ring_hash' }, instances: [{ id: 'stream-1', port: 23001 }] },
  // Every value invalid: each option keeps its default and the service is still served.
  oddball: {
    meta: { protocol: 'carrier-pigeon', connect_timeout: 'soon', lb_policy: 'fastest', outlier_max_ejection_percent: '150' },
    instances: [{ id: 'oddball-1', port: 24001, weights: { passing: 5, warning: 2 }, status: 'warning' }],
  },
  doomed: { meta: {}, instances: [{ id: 'doomed-1', port: 25001 }] },
  // IPv4 and IPv6 literals are endpoints; a host name is not (proxyless clients reject it), so it is left out.
  dual: {
    meta: {},
    instances: [
      { id: 'dual-4', address: '127.0.0.2', port: 26001 },
      { id: 'dual-6', address: '::1', port: 26002 },
      { id: 'dual-host', address: 'dual.example.internal', port: 26003 },
    ],
  },
  // Instances on two other nodes, whose node meta names their zones.
  zoned: {
    meta: {},
    instances: [
      { id: 'zoned-a', node: 'node-a', zone: 'zone-a', address: '127.0.0.3', port: 27001 },
      { id: 'zoned-b', node: 'node-b', zone: 'zone-b', address: '127.0.0.4', port: 27002 },
    ],
  },
};

// Every service in the catalog, ours and any the agent has of its own (Consul lists itself as `consul`).
let NAMES;
let datacenter;

const env = useBridge({
  bridgeSettings: { 'Xds:ConnectTimeout': '00:00:03' },
  async setup(env) {
    for (const [name, service] of Object.entries(SERVICES)) {
      for (const i of service.instances) {
        const instance = { id: i.id, name, address: i.address, port: i.port, meta: service.meta, weights: i.weights, status: i.status ?? 'passing' };
        if (i.node) await env.agent.catalogRegister({ ...instance, node: i.node, nodeMeta: { zone: i.zone } });
        else await env.agent.register(instance);
        if (i.maintenance) await env.agent.maintenance(i.id, true, 'conformance');
      }
    }
    [{ Node: { Datacenter: datacenter } }] = await env.agent.health('web');
    NAMES = Object.keys(await env.agent.get('/v1/catalog/services')).sort();
  },
});

function decodeAll(response, typeUrl) {
  assert.equal(response.type_url, typeUrl, 'response type_url');
  assert.ok(response.version_info, 'a response carries a version');
  assert.ok(response.nonce, 'a response carries a nonce');
  const byName = {};
  for (const any of response.resources) {
    const resource = unpack(any, typeUrl);
    const name = typeUrl === TYPE.endpoint ? resource.cluster_name : resource.name;
    assert.ok(!(name in byName), `${name} appears once per response`);
    byName[name] = resource;
  }
  return byName;
}

function duration(d) {
  return d && { seconds: String(d.seconds), nanos: d.nanos };
}

function checkCluster(name, c) {
  const meta = SERVICES[name]?.meta ?? {};
  assert.equal(c.type, 'EDS', `${name}: discovery type`);
  assert.equal(c.cluster_discovery_type, 'type', `${name}: the discovery type is set as 'type'`);
  assert.ok(c.eds_cluster_config?.eds_config, `${name}: has an eds_config`);
  assert.equal(c.eds_cluster_config.eds_config.config_source_specifier, 'ads', `${name}: EDS over ADS`);
  assert.deepEqual(c.eds_cluster_config.eds_config.ads, {}, `${name}: eds_config.ads`);
  assert.equal(c.eds_cluster_config.eds_config.resource_api_version, 'V3', `${name}: resource_api_version`);
  assert.equal(c.eds_cluster_config.service_name, name, `${name}: service_name`);

  const lb = { least_request: 'LEAST_REQUEST', ring_hash: 'RING_HASH' }[meta.lb_policy] ?? 'ROUND_ROBIN';
  assert.equal(c.lb_policy, lb, `${name}: lb_policy`);
  if (lb === 'RING_HASH') assert.equal(c.ring_hash_lb_config?.hash_function, 'XX_HASH', `${name}: ring hash function`);

  const timeout = meta.connect_timeout === '250ms' ? { seconds: '0', nanos: 250_000_000 } : DEFAULT_CONNECT_TIMEOUT;
  assert.deepEqual(duration(c.connect_timeout), timeout, `${name}: connect_timeout`);

  const http2 = meta.protocol === 'grpc' || meta.protocol === 'http2';
  const options = c.typed_extension_protocol_options ?? {};
  if (http2) {
    assert.deepEqual(Object.keys(options), [HTTP_OPTIONS_KEY], `${name}: only the upstream HTTP protocol options`);
    const o = unpack(options[HTTP_OPTIONS_KEY], TYPE.httpProtocolOptions);
    assert.equal(o.upstream_protocol_options, 'explicit_http_config', `${name}: explicit HTTP config`);
    assert.equal(o.explicit_http_config.protocol_config, 'http2_protocol_options', `${name}: HTTP/2 upstream`);
  } else {
    assert.deepEqual(Object.keys(options), [], `${name}: no protocol options for an HTTP/1.1 service`);
  }

  if (name === 'api') {
    const od = c.outlier_detection;
    assert.ok(od, 'api: outlier_detection');
    assert.deepEqual(od.consecutive_5xx, { value: 7 }, 'api: consecutive_5xx');
    assert.deepEqual(duration(od.interval), { seconds: '15', nanos: 0 }, 'api: interval');
    assert.deepEqual(duration(od.base_ejection_time), { seconds: '45', nanos: 0 }, 'api: base_ejection_time');
    assert.deepEqual(od.max_ejection_percent, { value: 30 }, 'api: max_ejection_percent');
  } else {
    assert.equal(c.outlier_detection, null, `${name}: no outlier detection without (valid) outlier meta`);
  }
}

/** The endpoints a CLA holds, flattened: locality, address, port, health, weights. */
function endpointsOf(cla) {
  return cla.endpoints.flatMap((l) => l.lb_endpoints.map((e) => ({
    region: l.locality?.region,
    zone: l.locality?.zone,
    subZone: l.locality?.sub_zone,
    localityWeight: l.load_balancing_weight?.value,
    priority: l.priority,
    address: e.endpoint.address.socket_address.address,
    port: e.endpoint.address.socket_address.port_value,
    health: e.health_status,
    weight: e.load_balancing_weight?.value,
  }))).sort((a, b) => a.port - b.port);
}

function checkAssignments(byName) {
  assert.deepEqual(Object.keys(byName).sort(), NAMES, 'one ClusterLoadAssignment per requested cluster');
  for (const cla of Object.values(byName)) {
    for (const l of cla.endpoints) {
      assert.ok(l.locality, `${cla.cluster_name}: every locality is set`);
      assert.ok(l.load_balancing_weight?.value >= 1, `${cla.cluster_name}: every locality carries a weight`);
    }
  }

  // web: web-1 (weight 1) and web-2 (weight 3) in separate sub-zones weighted by their sums; the critical
  // web-3 and the web-4 in maintenance are left out.
  const web = endpointsOf(byName.web);
  assert.deepEqual(web.map((e) => e.port), [21001, 21002], 'web: only the passing instances');
  for (const e of web) {
    assert.equal(e.address, '127.0.0.1');
    assert.equal(e.region, datacenter, 'locality region = datacenter');
    assert.equal(e.zone, '', 'no zone node meta, no zone');
    assert.equal(e.health, 'HEALTHY');
    assert.equal(e.priority, 0);
  }
  assert.equal(web[0].weight, 1);
  assert.equal(web[1].weight, 3);
  assert.equal(web[0].localityWeight, 1, 'the weight-1 sub-zone weighs 1');
  assert.equal(web[1].localityWeight, 3, 'the weight-3 sub-zone weighs 3');
  assert.notEqual(web[0].subZone, web[1].subZone, 'different Consul weights, different sub-zones');
  assert.equal(byName.web.endpoints.length, 2, 'web: two localities');

  // oddball: in warning, served HEALTHY at its Warning weight (2, not its Passing 5).
  const oddball = endpointsOf(byName.oddball);
  assert.equal(oddball.length, 1, 'oddball: its instance in warning is still served');
  const [odd] = oddball;
  assert.deepEqual({ port: odd.port, health: odd.health, weight: odd.weight, localityWeight: odd.localityWeight },
    { port: 24001, health: 'HEALTHY', weight: 2, localityWeight: 2 }, 'oddball: a warning instance at Weights.Warning');

  const dual = endpointsOf(byName.dual);
  assert.deepEqual(dual.map((e) => [e.address, e.port, e.health]), [['127.0.0.2', 26001, 'HEALTHY'], ['::1', 26002, 'HEALTHY']],
    'dual: IP literals of both families, the host-named instance left out');

  const zoned = byName.zoned.endpoints.map((l) => ({
    locality: { ...l.locality }, weight: l.load_balancing_weight?.value, ports: l.lb_endpoints.map((e) => e.endpoint.address.socket_address.port_value),
  })).sort((a, b) => a.locality.zone.localeCompare(b.locality.zone));
  assert.deepEqual(zoned, [
    { locality: { region: datacenter, zone: 'zone-a', sub_zone: '' }, weight: 1, ports: [27001] },
    { locality: { region: datacenter, zone: 'zone-b', sub_zone: '' }, weight: 1, ports: [27002] },
  ], 'zoned: one locality per zone (from node meta "zone"), region = datacenter');

  for (const [name, port] of [['api', 22001], ['stream', 23001], ['doomed', 25001]]) {
    const eps = endpointsOf(byName[name]);
    assert.deepEqual(eps.map((e) => [e.address, e.port, e.health, e.weight, e.region]), [['127.0.0.1', port, 'HEALTHY', 1, datacenter]], `${name}: its one instance`);
    assert.ok(eps[0].localityWeight >= 1, `${name}: every locality carries a weight`);
  }
}

function checkListener(byName) {
  assert.deepEqual(Object.keys(byName), ['outbound_http'], 'Envoy gets one listener, outbound_http');
  const l = byName.outbound_http;
  assert.deepEqual(l.address.socket_address.address, '127.0.0.1');
  assert.equal(l.address.socket_address.port_value, 15001);
  assert.equal(l.api_listener, null, 'Envoy listeners are real listeners, not API listeners');
  assert.equal(l.filter_chains.length, 1);
  const filters = l.filter_chains[0].filters;
  assert.equal(filters.length, 1);
  assert.equal(filters[0].name, HCM_FILTER);
  assert.equal(filters[0].typed_config.type_url, TYPE.hcm, 'HCM typed_config type URL');
  const hcm = unpack(filters[0].typed_config, TYPE.hcm);
  assert.equal(hcm.route_specifier, 'rds', 'routes come over RDS');
  assert.equal(hcm.rds.config_source.config_source_specifier, 'ads', 'RDS over ADS');
  assert.deepEqual(hcm.rds.config_source.ads, {});
  assert.equal(hcm.rds.route_config_name, 'outbound_http');
  assert.ok(hcm.http_filters.length >= 1, 'at least the router');
  const last = hcm.http_filters.at(-1);
  assert.equal(last.typed_config.type_url, TYPE.router, 'the router is the last HTTP filter');
  unpack(last.typed_config, TYPE.router);
  assert.ok(hcm.http_filters.slice(0, -1).every((f) => f.typed_config?.type_url !== TYPE.router), 'the router only last');
}

function checkRoutes(byName) {
  assert.deepEqual(Object.keys(byName), ['outbound_http']);
  const vhosts = byName.outbound_http.virtual_hosts;
  assert.deepEqual(vhosts.map((v) => v.name).sort(), NAMES, 'one virtual host per service');
  for (const v of vhosts) {
    const s = v.name;
    assert.deepEqual([...v.domains].sort(), [s, `${s}:*`, `${s}.service.consul`, `${s}.service.consul:*`].sort(), `${s}: domains`);
    assert.equal(v.routes.length, 1, `${s}: one route`);
    assert.equal(v.routes[0].match.path_specifier, 'prefix');
    assert.equal(v.routes[0].match.prefix, '');
    assert.equal(v.routes[0].route.cluster, s, `${s}: routed to its cluster`);
  }
  const all = vhosts.flatMap((v) => v.domains);
  assert.equal(new Set(all).size, all.length, 'no domain in two virtual hosts');
}

env.scenario('Envoy, state of the world: CDS, EDS, LDS, RDS decode to what the bridge means; ACKs get silence; a change pushes one CLA', async () => {
  const stub = adsStub(env.bridge.adsAddress);
  const ads = new SotwAds(stub, envoyNode('envoy-wire-sotw'));
  env.onCleanup(() => ads.close());

  ads.request(TYPE.cluster, []);
  const cds = await ads.next();
  const clusters = decodeAll(cds, TYPE.cluster);
  assert.deepEqual(Object.keys(clusters).sort(), NAMES, 'wildcard CDS: every service');
  for (const [name, c] of Object.entries(clusters)) checkCluster(name, c);
  ads.ack(cds);

  const edsNames = Object.values(clusters).map((c) => c.eds_cluster_config.service_name).sort();
  ads.request(TYPE.endpoint, edsNames);
  const eds = await ads.next();
  checkAssignments(decodeAll(eds, TYPE.endpoint));
  ads.ack(eds);

  ads.request(TYPE.listener, []);
  const lds = await ads.next();
  checkListener(decodeAll(lds, TYPE.listener));
  ads.ack(lds);

  ads.request(TYPE.route, ['outbound_http']);
  const rds = await ads.next();
  checkRoutes(decodeAll(rds, TYPE.route));
  ads.ack(rds);

  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'everything ACKed and nothing changed: the bridge sends nothing');

  // One instance turns critical: exactly one push, EDS, carrying only web's assignment.
  await env.agent.check('web-1', 'fail');
  const push = await ads.next();
  assert.equal(push.type_url, TYPE.endpoint, 'a health change is an EDS push only');
  const pushed = decodeAll(push, TYPE.endpoint);
  assert.deepEqual(Object.keys(pushed), ['web'], 'only the changed assignment is pushed');
  assert.deepEqual(endpointsOf(pushed.web).map((e) => e.port), [21002], 'web-1 left web');
  assert.notEqual(push.version_info, eds.version_info, 'a new version');
  ads.ack(push);
  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'no CDS, LDS or RDS push for a health change, and no repeat');

  await env.agent.check('web-1', 'pass');
  const back = await ads.next();
  assert.equal(back.type_url, TYPE.endpoint);
  const restored = decodeAll(back, TYPE.endpoint);
  assert.deepEqual(Object.keys(restored), ['web']);
  assert.deepEqual(endpointsOf(restored.web).map((e) => e.port), [21001, 21002], 'web-1 is back');
  ads.ack(back);
  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'silence again');

  // A NACK (Envoy keeps its last good config and reports the error) must not be answered with the same
  // version again, nor stop later updates.
  await env.agent.check('web-2', 'fail');
  const rejected = await ads.next();
  assert.equal(rejected.type_url, TYPE.endpoint);
  ads.request(TYPE.endpoint, edsNames, { version: back.version_info, nonce: rejected.nonce, errorDetail: { code: 3, message: 'conformance: rejected on purpose' } });
  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'a NACKed version is not sent again');
  await env.agent.check('web-2', 'pass');
  const afterNack = await ads.next();
  assert.equal(afterNack.type_url, TYPE.endpoint);
  const healed = decodeAll(afterNack, TYPE.endpoint);
  assert.deepEqual(Object.keys(healed), ['web'], 'the next change is pushed after a NACK');
  assert.deepEqual(endpointsOf(healed.web).map((e) => e.port), [21001, 21002]);
  ads.ack(afterNack);
  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'silence again');

  // A new service: the full cluster set (clusters before routes), then the route with its virtual host.
  await env.agent.register({ id: 'late-1', name: 'late', port: 28001 });
  const cdsNew = await ads.next();
  assert.equal(cdsNew.type_url, TYPE.cluster, 'the new cluster comes first');
  const clustersNew = decodeAll(cdsNew, TYPE.cluster);
  assert.deepEqual(Object.keys(clustersNew).sort(), [...NAMES, 'late'].sort(), 'CDS is complete: every cluster, old and new');
  checkCluster('late', clustersNew.late);
  ads.ack(cdsNew);
  const rdsNew = await ads.next();
  assert.equal(rdsNew.type_url, TYPE.route, 'then the route that can use it');
  const vhostsNew = decodeAll(rdsNew, TYPE.route).outbound_http.virtual_hosts.map((v) => v.name).sort();
  assert.deepEqual(vhostsNew, [...NAMES, 'late'].sort(), 'a virtual host for the new service');
  ads.ack(rdsNew);
  ads.request(TYPE.endpoint, [...edsNames, 'late'].sort(), { version: afterNack.version_info, nonce: afterNack.nonce });
  const edsNew = await ads.next();
  assert.equal(edsNew.type_url, TYPE.endpoint);
  const lateCla = decodeAll(edsNew, TYPE.endpoint);
  assert.ok('late' in lateCla, 'the newly requested assignment is sent');
  assert.deepEqual(endpointsOf(lateCla.late).map((e) => e.port), [28001]);
  ads.ack(edsNew);
  assert.deepEqual(await ads.quietFor(QUIET_MS), [], 'everything ACKed: silence');
});

env.scenario('Envoy, delta: wildcard CDS, a reconnect with initial_resource_versions resends nothing, a removed service is in removed_resources', async () => {
  const stub = adsStub(env.bridge.adsAddress);
  const node = envoyNode('envoy-wire-delta');
  const names = Object.keys(await env.agent.get('/v1/catalog/services')).sort();

  const first = new DeltaAds(stub, node);
  env.onCleanup(() => first.close());
  first.send({ type_url: TYPE.cluster, resource_names_subscribe: ['*'] });
  const initial = await first.next();
  assert.equal(initial.type_url, TYPE.cluster);
  assert.ok(initial.nonce, 'a delta response carries a nonce');
  assert.deepEqual(initial.removed_resources, [], 'nothing removed yet');
  const held = {};
  for (const r of initial.resources) {
    assert.ok(r.version, `${r.name}: a version`);
    assert.equal(r.resource.type_url, TYPE.cluster, `${r.name}: a Cluster`);
    const c = unpack(r.resource, TYPE.cluster);
    assert.equal(c.name, r.name, 'Resource.name is the cluster name');
    checkCluster(r.name, c);
    held[r.name] = r.version;
  }
  assert.deepEqual(Object.keys(held).sort(), names, 'wildcard: every service');
  first.ack(initial);
  assert.deepEqual(await first.quietFor(QUIET_MS), [], 'ACKed, nothing changed: silence');
  first.close();

  // Reconnect holding exactly the current versions: nothing is owed.
  const second = new DeltaAds(stub, node);
  env.onCleanup(() => second.close());
  second.send({ type_url: TYPE.cluster, resource_names_subscribe: ['*'], initial_resource_versions: held });
  assert.deepEqual(await second.quietFor(QUIET_MS), [], 'a reconnect with current initial_resource_versions gets nothing resent');

  // The last instance of a service goes: the service is gone from Consul, and from the client.
  await env.agent.deregister('doomed-1');
  const removal = await second.next();
  assert.equal(removal.type_url, TYPE.cluster);
  assert.deepEqual(removal.removed_resources, ['doomed'], 'the removed service is in removed_resources');
  assert.deepEqual(removal.resources, [], 'and nothing else changed');
  second.ack(removal);
  assert.deepEqual(await second.quietFor(QUIET_MS), [], 'silence after the removal is ACKed');
  second.close();

  // Reconnect with what the client held before: one version out of date, one service since removed.
  const third = new DeltaAds(stub, node);
  env.onCleanup(() => third.close());
  third.send({ type_url: TYPE.cluster, resource_names_subscribe: ['*'], initial_resource_versions: { ...held, api: 'out-of-date' } });
  const catchUp = await third.next();
  assert.deepEqual(catchUp.resources.map((r) => r.name), ['api'], 'only the out-of-date resource is resent');
  assert.equal(catchUp.resources[0].version, held.api, 'at its current version');
  assert.deepEqual(catchUp.removed_resources, ['doomed'], 'a held service that no longer exists is removed');
  third.ack(catchUp);
  assert.deepEqual(await third.quietFor(QUIET_MS), [], 'and then silence');
});
