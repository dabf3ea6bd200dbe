// A raw ADS client in Node, built only from the UPSTREAM Envoy protos shipped with grpc-js-xds (never the
// bridge's own protos/), for checking on the wire what the bridge serves to Envoy nodes (and, with a gRPC
// node, to proxyless gRPC). Every response is validated as it arrives, as Envoy would validate it (see
// envoy-validate.mjs): a response that breaks a rule makes the stream's next()/quietFor() fail, so every test
// that receives resources through this client checks them without asking.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { PLAIN, TYPE, typeOf } from './envoy-protos.mjs';
import { XdsView, violationError } from './envoy-validate.mjs';
import { upstreamProtoDirs } from './paths.mjs';

export { TYPE };

const adsDefinition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: upstreamProtoDirs,
});
const { AggregatedDiscoveryService } = grpc.loadPackageDefinition(adsDefinition).envoy.service.discovery.v3;

/** Decodes an Any (`{type_url, value}`) with the upstream message type it names; fails on unknown types. */
export function unpack(any, expectedTypeUrl) {
  if (expectedTypeUrl && any.type_url !== expectedTypeUrl) {
    throw new Error(`Any carries ${any.type_url}, expected ${expectedTypeUrl}`);
  }
  const type = typeOf(any.type_url);
  if (!type) throw new Error(`no upstream proto defines ${any.type_url}`);
  return type.toObject(type.decode(any.value), PLAIN);
}

/**
 * Node metadata as a Struct: a string stays a string, a list of strings becomes a list value. proto-loader
 * brings its own google.protobuf types, whose fields keep protobuf's JSON (camelCase) names whatever keepCase
 * says: `string_value` would be dropped without a word.
 */
function struct(metadata) {
  const fields = {};
  for (const [k, v] of Object.entries(metadata)) {
    fields[k] = Array.isArray(v) ? { listValue: { values: v.map((s) => ({ stringValue: s })) } } : { stringValue: v };
  }
  return { fields };
}

/** An Envoy-like node: what the bridge sees first on every stream. */
export function envoyNode(id, metadata = {}) {
  return { id, cluster: 'conformance', metadata: struct({ 'bridge.client_kind': 'envoy', ...metadata }), user_agent_name: 'envoy', user_agent_version: '1.36.0' };
}

/** A node that says it is proxyless gRPC: it is served what grpc-js-xds would be, seen here with the raw client. */
export function grpcNode(id, metadata = {}) {
  return { id, cluster: 'conformance', metadata: struct({ 'bridge.client_kind': 'grpc', ...metadata }), user_agent_name: 'gRPC Node', user_agent_version: '1.14.1' };
}

/** The kind of client a node says it is (its metadata's bridge.client_kind). */
export function kindOf(node) {
  return node.metadata?.fields?.['bridge.client_kind']?.stringValue === 'grpc' ? 'grpc' : 'envoy';
}

/**
 * Responses of one duplex stream, consumed in order, with a way to assert that none is coming. Each is
 * validated on arrival against `view`; one that breaks Envoy's rules is handed out as an error.
 */
class ResponseQueue {
  constructor(call, label, view, protocol) {
    this.label = label;
    this.queue = [];
    this.waiters = [];
    this.ended = null;
    call.on('data', (message) => {
      const violations = view.accept(message, protocol);
      const item = violations.length === 0 ? { message }
        : { message, error: violationError(`${label}: the ${message.type_url.split('.').pop()} response (nonce ${message.nonce})`, violations) };
      const waiter = this.waiters.shift();
      if (!waiter) this.queue.push(item);
      else if (item.error) waiter.reject(item.error);
      else waiter.resolve(message);
    });
    call.on('error', (e) => this.finish(e));
    call.on('end', () => this.finish(new Error(`${label}: the server ended the stream`)));
  }

  finish(e) {
    if (this.ended) return;
    this.ended = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  /** The next response, or an error if none arrives within `timeoutMs` or it breaks Envoy's rules. */
  next(timeoutMs = 10_000) {
    if (this.queue.length) {
      const item = this.queue.shift();
      return item.error ? Promise.reject(item.error) : Promise.resolve(item.message);
    }
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
    const items = this.queue.splice(0);
    const failed = items.find((i) => i.error);
    if (failed) throw failed.error;
    return items.map((i) => i.message);
  }
}

export function adsStub(address) {
  return new AggregatedDiscoveryService(address, grpc.credentials.createInsecure());
}

/** What both stream protocols share: the call, the validated view of what the client holds, the response queue. */
class AdsStream {
  constructor(node, call, label, protocol) {
    this.node = node;
    this.call = call;
    /** What this client holds, every response validated (see XdsView). */
    this.view = new XdsView(kindOf(node));
    this.responses = new ResponseQueue(call, `${label} of ${node.id}`, this.view, protocol);
    this.sentNode = false;
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

/** A state-of-the-world ADS stream that tracks, per type, the subscription and the last response, as Envoy does. */
export class SotwAds extends AdsStream {
  constructor(stub, node) {
    super(node, stub.StreamAggregatedResources(), 'SotW ADS', 'sotw');
    this.subscriptions = new Map();
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
}

/** An incremental (delta) ADS stream. */
export class DeltaAds extends AdsStream {
  constructor(stub, node) {
    super(node, stub.DeltaAggregatedResources(), 'delta ADS', 'delta');
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
}
