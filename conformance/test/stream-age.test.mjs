// Ads:MaxStreamAge against a real proxyless gRPC client (grpc-js-xds 1.14.1): the bridge ends the client's ADS
// stream every 3 s (±10%) with OK and retires its connection, the client reopens it over a new connection, and the
// application's RPCs go on succeeding across every end, as they must when streams are moved between replicas.
import assert from 'node:assert/strict';
import { CCoreBackends, CCoreClient } from '../lib/ccore.mjs';
import { ClientFactory } from '../lib/clients.mjs';
import { waitForBackends } from '../lib/expect.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

const NODE = 'aged-app';
const CCORE_NODE = 'aged-ccore';
const ENDS = 4;
let clients;
const ended = [];
const opened = [];
const ccoreEnded = [];
const ccoreOpened = [];

const env = useBridge({
  bridgeSettings: { 'Ads:MaxStreamAge': '00:00:03' },
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
    // The daemon writes one JSON object per line when its output is not a terminal.
    env.bridge.proc.onLine((_, line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line);
      if (event.eventId === 4012 && event.NodeId === NODE) ended.push(event);
      if (event.eventId === 4001 && event.NodeId === NODE) opened.push(event);
      if (event.eventId === 4012 && event.NodeId === CCORE_NODE) ccoreEnded.push(event);
      if (event.eventId === 4001 && event.NodeId === CCORE_NODE) ccoreOpened.push(event);
    });
  },
});

env.scenario(`RPCs keep succeeding while the bridge ends the client's ADS stream for its age ${ENDS} times`, async (t) => {
  const backends = await env.startBackends(['aged-1', 'aged-2']);
  await env.register('aged', backends);
  const client = clients.client('aged', { nodeId: NODE });
  await waitForBackends(client, ['aged-1', 'aged-2']);

  const traffic = client.startTraffic({ concurrency: 4, deadlineMs: 5000 });
  const from = ended.length;
  await waitFor(`${ENDS} streams of ${NODE} ended for their age`, async () => ended.length - from, (n) => n >= ENDS, { timeout: 40_000, interval: 250 });
  const tally = await traffic.stop();

  assert.equal(tally.failures, 0, `no RPC may fail across stream ends: ${JSON.stringify(tally.by)} ${JSON.stringify(tally.errorDetails)}`);
  assert.ok(tally.total > 100, `RPCs kept flowing: ${tally.total}`);
  assert.deepEqual(tally.backends, ['aged-1', 'aged-2']);
  for (const event of ended.slice(from)) {
    assert.ok(event.LimitSeconds >= 2.7 && event.LimitSeconds <= 3.3, `each stream's limit is 3 s ±10%: ${event.LimitSeconds}`);
    assert.ok(event.AgeSeconds >= event.LimitSeconds && event.AgeSeconds < event.LimitSeconds + 1, `each stream ended once past its limit: ${event.AgeSeconds}`);
  }
  // The client came back after the last end: it holds a stream again.
  await waitFor(`${NODE} to have a stream open again`, () => env.bridge.connectedNodes(), (nodes) => nodes.includes(NODE), { timeout: 10_000 });

  // How long the client went without a stream after each end: grpc-js waits out its backoff timer, which it never
  // resets and which starts with the stream (1 s, x1.6 per attempt), so past a few ends of 3 s streams it waits.
  const gaps = ended.slice(from).map((e) => {
    const next = opened.find((o) => Date.parse(o.timestamp) >= Date.parse(e.timestamp));
    return next ? Date.parse(next.timestamp) - Date.parse(e.timestamp) : null;
  });
  // Each stream came over a connection of its own: the bridge retired (GOAWAY) the connection of every stream it ended,
  // so the client could not reopen the stream over it, to the same replica.
  const peers = opened.map((o) => o.Peer);
  assert.equal(new Set(peers).size, peers.length, `a new connection for every stream: ${peers.join(' ')}`);
  t.diagnostic(`${tally.total} RPCs, ${tally.failures} failed; stream ages ${ended.slice(from).map((e) => e.AgeSeconds).join(', ')} s; reconnected after ${gaps.join(', ')} ms`);
});

env.scenario(`a gRPC C-core application's RPCs keep succeeding while the bridge ends its ADS stream for its age ${ENDS} times`, async (t) => {
  const backendHost = await CCoreBackends.start();
  env.onCleanup(() => backendHost.close());
  const rejections = [];
  const app = await CCoreClient.start({ adsAddress: env.bridge.adsAddress, nodeId: CCORE_NODE, rejections });
  env.onCleanup(() => app.close());
  const backends = await backendHost.startAll(['aged-ccore-1', 'aged-ccore-2']);
  await env.register('aged-ccore', backends);
  const channel = app.channel('aged-ccore');
  await waitForBackends(channel, ['aged-ccore-1', 'aged-ccore-2']);

  const traffic = await channel.startTraffic({ concurrency: 4, deadlineMs: 5000 });
  const from = ccoreEnded.length;
  await waitFor(`${ENDS} streams of ${CCORE_NODE} ended for their age`, async () => ccoreEnded.length - from, (n) => n >= ENDS, { timeout: 40_000, interval: 250 });
  const tally = await traffic.stop();

  assert.equal(app.died, null, `the application must not die: ${app.tail().join('\n')}`);
  assert.deepEqual(rejections, [], 'C-core rejected nothing');
  assert.equal(tally.failures, 0, `no RPC may fail across stream ends: ${JSON.stringify(tally.by)} ${JSON.stringify(tally.errorDetails)}`);
  assert.ok(tally.total > 100, `RPCs kept flowing: ${tally.total}`);
  await waitFor(`${CCORE_NODE} to have a stream open again`, () => env.bridge.connectedNodes(), (nodes) => nodes.includes(CCORE_NODE), { timeout: 10_000 });
  const peers = ccoreOpened.map((o) => o.Peer);
  assert.equal(new Set(peers).size, peers.length, `a new connection for every stream: ${peers.join(' ')}`);
  const gaps = ccoreEnded.slice(from).map((e) => {
    const next = ccoreOpened.find((o) => Date.parse(o.timestamp) >= Date.parse(e.timestamp));
    return next ? Date.parse(next.timestamp) - Date.parse(e.timestamp) : null;
  });
  t.diagnostic(`C-core ${app.version}: ${tally.total} RPCs, ${tally.failures} failed; reconnected after ${gaps.join(', ')} ms`);
});
