// The load harness's catalogs, validated: the harness writes its scenario A catalog itself (`scripts/load
// --scenario A --write-catalog FILE`, Bridge.LoadTest/Catalog/SyntheticCatalog.cs), the dev agent is seeded with
// it, and what the bridge serves for it passes Envoy's validation (lib/envoy-validate.mjs): for wildcard nodes
// and nodes scoped to 50 services as in scenario B, Envoy and gRPC, state of the world and delta, and through
// churn of the kinds the harness makes (an instance moving to another port, going critical, passing again).
// A's catalog (1,000 services x 10 instances) is the largest CI can afford; B's and C's (4,000 x 65) come from
// the same generator, with more of the same.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TYPE, envoyNode, grpcNode } from '../lib/ads-client.mjs';
import { childEnv } from '../lib/devagent.mjs';
import { loadTestDll } from '../lib/paths.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';
import { Follower, snapshot } from '../lib/xds-snapshot.mjs';

const SCENARIO = 'A';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-load-catalog-'));
const seedFile = path.join(dir, 'catalog.json');
let registrations; // the seed's catalog registrations, as the harness wrote them
let services; // service name -> its registrations

// Every service's blocking query in flight at once, so that a change reaches the bridge at once: with more
// services than Consul:MaxConcurrentQueries over HTTP/1.1, waits are shared out and a change can take tens of
// seconds (README, "Consul connection economy"). The harness gets the same by reaching its agent over HTTP/2.
const env = useBridge({
  agentOptions: ['--max-conns-per-client', '0'],
  bridgeSettings: { 'Consul:MaxConcurrentQueries': '2000' },
  agentSeed() {
    execFileSync('dotnet', [loadTestDll(), '--scenario', SCENARIO, '--write-catalog', seedFile], { env: childEnv(), stdio: 'pipe', timeout: 60_000 });
    return seedFile;
  },
  async setup(env) {
    env.onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    registrations = JSON.parse(fs.readFileSync(seedFile, 'utf8')).Catalog;
    services = new Map();
    for (const r of registrations) services.set(r.Service.Service, [...(services.get(r.Service.Service) ?? []), r]);
    await waitFor(`the bridge to serve the ${services.size} services of scenario ${SCENARIO}`, () => env.bridge.admin('/readyz'),
      ({ body }) => body.status === 'ready' && body.services >= services.size, { timeout: 60_000, interval: 250 });
  },
});

const names = () => [...services.keys()].sort();
/** The first `n` services: what a node of scenario B declares in bridge.services. */
const scope = (n = 50) => names().slice(0, n);
const healthyOf = (view, name) => view.of(TYPE.endpoint).get(name)?.plain.endpoints.flatMap((l) => l.lb_endpoints)
  .filter((e) => e.health_status === 'HEALTHY').map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`).sort();

env.scenario(`scenario ${SCENARIO}'s catalog to wildcard nodes: Envoy and gRPC, SotW and delta, every resource valid`, async () => {
  for (const protocol of ['sotw', 'delta']) {
    const envoy = await snapshot(env.bridge.adsAddress, envoyNode(`load-envoy-${protocol}`), { protocol });
    const grpc = await snapshot(env.bridge.adsAddress, grpcNode(`load-grpc-${protocol}`), { protocol, services: names() });
    for (const [kind, view] of [['Envoy', envoy], ['gRPC', grpc]]) {
      const held = new Set(view.of(TYPE.cluster).keys());
      assert.ok(names().every((n) => held.has(n)), `${kind} ${protocol}: a cluster per service of the harness's catalog`);
      assert.deepEqual(healthyOf(view, names()[0]).length, services.get(names()[0]).length, `${kind} ${protocol}: every instance is an endpoint`);
    }
    assert.ok(envoy.of(TYPE.route).get('outbound_http').plain.virtual_hosts.length >= services.size, `Envoy ${protocol}: a virtual host per service`);
  }
});

env.scenario('nodes scoped to 50 services, as in scenario B: Envoy and gRPC, SotW and delta, every resource valid', async () => {
  const declared = scope();
  for (const protocol of ['sotw', 'delta']) {
    const envoy = await snapshot(env.bridge.adsAddress, envoyNode(`load-scoped-envoy-${protocol}`, { 'bridge.services': declared.join(',') }), { protocol });
    assert.deepEqual([...envoy.of(TYPE.cluster).keys()].sort(), declared, `Envoy ${protocol}: only the declared services`);
    const grpc = await snapshot(env.bridge.adsAddress, grpcNode(`load-scoped-grpc-${protocol}`, { 'bridge.services': declared }), { protocol, services: declared });
    assert.deepEqual([...grpc.of(TYPE.listener).keys()].sort(), declared, `gRPC ${protocol}: the declared listeners`);
  }
});

env.scenario('churn of the harness\'s kinds (ports moved, instances critical then passing): every push to every node valid', async () => {
  const declared = scope();
  const followers = [
    new Follower(env.bridge.adsAddress, envoyNode('churn-envoy-sotw'), { protocol: 'sotw' }),
    new Follower(env.bridge.adsAddress, envoyNode('churn-envoy-delta'), { protocol: 'delta' }),
    new Follower(env.bridge.adsAddress, grpcNode('churn-grpc-sotw', { 'bridge.services': declared }), { protocol: 'sotw', services: declared }),
    new Follower(env.bridge.adsAddress, grpcNode('churn-grpc-delta', { 'bridge.services': declared }), { protocol: 'delta', services: declared }),
  ];
  try {
    await Promise.all(followers.map((f) => f.until(null, { what: 'the first snapshot', timeoutMs: 60_000 })));
    // As the harness's Churn does: a third of a service's instances critical at most, ports from 30,000 up.
    const state = new Map(registrations.map((r) => [r.Service.ID, { port: r.Service.Port, critical: false }]));
    let nextPort = 30_000;
    for (let k = 0; k < 60; k++) {
      const service = declared[(k * 7) % declared.length];
      const instances = services.get(service);
      const r = instances[k % instances.length];
      const s = state.get(r.Service.ID);
      const critical = instances.filter((i) => state.get(i.Service.ID).critical).length;
      if (s.critical || (critical * 3 < instances.length && k % 2 === 0)) {
        s.critical = !s.critical;
        await env.agent.request('PUT', '/v1/catalog/register', {
          ...r, SkipNodeUpdate: true, Service: { ...r.Service, Port: s.port }, Checks: [{ ...r.Checks[0], Status: s.critical ? 'critical' : 'passing' }],
        });
      } else {
        s.port = nextPort++;
        await env.agent.request('PUT', '/v1/catalog/register', { Node: r.Node, SkipNodeUpdate: true, Service: { ...r.Service, Port: s.port } });
      }
    }
    const expected = new Map(declared.map((name) => [name, services.get(name).filter((r) => !state.get(r.Service.ID).critical)
      .map((r) => `${r.Address}:${state.get(r.Service.ID).port}`).sort()]));
    const behind = (view) => declared.filter((n) => JSON.stringify(healthyOf(view, n)) !== JSON.stringify(expected.get(n)));
    await Promise.all(followers.map((f) => f.until((view) => behind(view).length === 0, {
      what: 'every change to reach the node', timeoutMs: 30_000,
      show: (view) => `behind on ${behind(view).map((n) => `${n}: holds ${healthyOf(view, n)}, expected ${expected.get(n)}`).slice(0, 3).join('; ')}`,
    })));
    for (const f of followers) {
      f.assertConsistent();
      assert.deepEqual(f.view.violations, [], `${f.node.id}: no violation`);
    }
  } finally {
    for (const f of followers) f.close();
  }
});
