// A raw ADS client in Node, built only from the UPSTREAM Envoy protos shipped with grpc-js-xds (never the
// bridge's own protos/), for checking on the wire what the bridge serves to Envoy nodes.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
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

const adsDefinition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: upstreamProtoDirs,
});
const { AggregatedDiscoveryService } = grpc.loadPackageDefinition(adsDefinition).envoy.service.discovery.v3;

// Decoding resources (Any payloads) needs the message types themselves: protobufjs over the same files.
protobuf.common('descriptor', require('protobufjs/google/protobuf/descriptor.json').nested.google.nested.protobuf.nested);
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  if (path.isAbsolute(target) && fs.existsSync(target)) return target;
  for (const dir of upstreamProtoDirs) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  return target;
};
root.loadSync([
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
], { keepCase: true });
root.resolveAll();

/** Decodes an Any (`{type_url, value}`) with the upstream message type it names; fails on unknown types. */
export function unpack(any, expectedTypeUrl) {
  if (expectedTypeUrl && any.type_url !== expectedTypeUrl) {
    throw new Error(`Any carries ${any.type_url}, expected ${expectedTypeUrl}`);
  }
  const type = root.lookupType(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
  return type.toObject(type.decode(any.value), { longs: String, enums: String, defaults: true, oneofs: true });
}

/** An Envoy-like node: what the bridge sees first on every stream. */
export function envoyNode(id, metadata = {}) {
  const fields = {};
  for (const [k, v] of Object.entries({ 'bridge.client_kind': 'envoy', ...metadata })) fields[k] = { string_value: v };
  return { id, cluster: 'conformance', metadata: { fields }, user_agent_name: 'envoy', user_agent_version: '1.36.0' };
}

/** Responses of one duplex stream, consumed in order, with a way to assert that none is coming. */
class ResponseQueue {
  constructor(call, label) {
    this.label = label;
    this.queue = [];
    this.waiters = [];
    this.ended = null;
    call.on('data', (message) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(message);
      else this.queue.push(message);
    });
    call.on('error', (e) => this.finish(e));
    call.on('end', () => this.finish(new Error(`${label}: the server ended the stream`)));
  }

  finish(e) {
    if (this.ended) return;
    this.ended = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  /** The next response, or an error if none arrives within `timeoutMs`. */
  next(timeoutMs = 10_000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.label}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves to whatever arrives within `ms` (normally nothing): every response the server sent meanwhile. */
  async quietFor(ms) {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.splice(0);
  }
}

export function adsStub(address) {
  return new AggregatedDiscoveryService(address, grpc.credentials.createInsecure());
}

/** A state-of-the-world ADS stream that tracks, per type, the subscription and the last response, as Envoy does. */
export class SotwAds {
  constructor(stub, node) {
    this.node = node;
    this.call = stub.StreamAggregatedResources();
    this.responses = new ResponseQueue(this.call, 'SotW ADS');
    this.subscriptions = new Map();
    this.sentNode = false;
  }

  /** Subscribes `typeUrl` to `names` ([] is Envoy's wildcard for LDS/CDS), carrying the last ACKed state. */
  request(typeUrl, names, { version = '', nonce = '', errorDetail } = {}) {
    this.subscriptions.set(typeUrl, names);
    const message = { type_url: typeUrl, resource_names: names, version_info: version, response_nonce: nonce };
    if (!this.sentNode) {
      message.node = this.node;
      this.sentNode = true;
    }
    if (errorDetail) message.error_detail = errorDetail;
    this.call.write(message);
  }

  /** ACKs a response the way Envoy does: its version and nonce, with the type's current subscription. */
  ack(response) {
    this.request(response.type_url, this.subscriptions.get(response.type_url) ?? [], { version: response.version_info, nonce: response.nonce });
  }

  next(timeoutMs) {
    return this.responses.next(timeoutMs);
  }

  quietFor(ms) {
    return this.responses.quietFor(ms);
  }

  close() {
    this.call.end();
    this.call.cancel();
  }
}

/** An incremental (delta) ADS stream. */
export class DeltaAds {
  constructor(stub, node) {
    this.node = node;
    this.call = stub.DeltaAggregatedResources();
    this.responses = new ResponseQueue(this.call, 'delta ADS');
    this.sentNode = false;
  }

  send(message) {
    if (!this.sentNode) {
      message = { node: this.node, ...message };
      this.sentNode = true;
    }
    this.call.write(message);
  }

  ack(response) {
    this.send({ type_url: response.type_url, response_nonce: response.nonce });
  }

  next(timeoutMs) {
    return this.responses.next(timeoutMs);
  }

  quietFor(ms) {
    return this.responses.quietFor(ms);
  }

  close() {
    this.call.end();
    this.call.cancel();
  }
}
