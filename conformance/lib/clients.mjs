// Proxyless gRPC clients (grpc-js-xds 1.14.1) of the bridge, and helpers that run RPCs and count outcomes.
import grpc from '@grpc/grpc-js';
import xds from '@grpc/grpc-js-xds';
import { ECHO_METHOD } from './backends.mjs';
import { bootstrap } from './bootstrap.mjs';
import { Tally } from './tally.mjs';

export { bootstrap, Tally };

xds.register();

let processBootstrap;

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

const EchoClient = grpc.makeGenericClientConstructor({
  Who: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b.toString('utf8'),
  },
}, 'Echo');

/**
 * A client of xds:///<service>, with the `service`, `batch` and `startTraffic` that lib/expect.mjs and
 * lib/scenarios.mjs use.
 */
function echoClient(service, options = {}) {
  const client = new EchoClient(`xds:///${service}`, grpc.credentials.createInsecure(), options);
  client.service = service;
  client.batch = (count, batchOptions) => runBatch(client, count, batchOptions);
  client.startTraffic = (trafficOptions) => startTraffic(client, trafficOptions);
  return client;
}

/**
 * Makes clients of `xds:///<service>`. Without a node id they share the process-wide XdsClient (one ADS
 * stream for all their services, as in a real application); with one, the channel gets its own bootstrap
 * and so its own XdsClient and ADS stream under that node id.
 */
export class ClientFactory {
  constructor(adsAddress, { nodeId = 'conformance-shared' } = {}) {
    this.adsAddress = adsAddress;
    const shared = JSON.stringify(bootstrap({ adsAddress, nodeId }));
    // grpc-js-xds reads this once, at the first channel that uses the process-wide client.
    if (processBootstrap !== undefined && processBootstrap !== shared) {
      throw new Error('one ClientFactory per test process: the process-wide xDS bootstrap is already set to another server');
    }
    processBootstrap = shared;
    delete process.env.GRPC_XDS_BOOTSTRAP;
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = shared;
    this.clients = [];
  }

  client(service, { nodeId, zone, metadata, serviceName } = {}) {
    const options = {};
    if (nodeId) options[BOOTSTRAP_OPTION] = JSON.stringify(bootstrap({ adsAddress: this.adsAddress, nodeId, zone, metadata, serviceName }));
    const client = echoClient(service, options);
    this.clients.push(client);
    return client;
  }

  closeAll() {
    for (const c of this.clients.splice(0)) c.close();
  }
}

/** Clients over the process-wide XdsClient whose bootstrap is already in GRPC_XDS_BOOTSTRAP_CONFIG (see rpc-app.mjs). */
export function processWideClients() {
  return {
    client(service) {
      return echoClient(service);
    },
  };
}

/** One RPC; resolves to the backend's name, or `ERR <CODE>` (never rejects). */
export function call(client, { deadlineMs = 3000 } = {}) {
  return new Promise((resolve) => {
    client.Who(Buffer.alloc(0), { deadline: Date.now() + deadlineMs }, (e, name) => {
      if (e) resolve({ outcome: `ERR ${grpc.status[e.code] ?? e.code}`, details: e.details });
      else resolve({ outcome: name });
    });
  });
}

/** Runs `count` RPCs, `concurrency` at a time, and tallies the outcomes. */
export async function runBatch(client, count, { concurrency = 10, deadlineMs = 3000 } = {}) {
  const tally = new Tally();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      tally.add(await call(client, { deadlineMs }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return tally;
}

/**
 * Keeps RPCs flowing (`concurrency` in flight at all times) until stopped; `tally` (or `read()`) is the count
 * so far, and `stop()` resolves to the tally of every RPC that was started, each having run to completion.
 */
export function startTraffic(client, { concurrency = 4, deadlineMs = 5000 } = {}) {
  const tally = new Tally();
  let running = true;
  const worker = async () => {
    while (running) tally.add(await call(client, { deadlineMs }));
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    tally,
    async read() {
      return tally;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return tally;
    },
  };
}
