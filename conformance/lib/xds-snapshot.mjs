// Everything the bridge serves one client, fetched the way that client would and validated as Envoy would:
// an ADS stream (state of the world or delta) with the raw client, every response ACKed and checked on arrival
// (ads-client.mjs), the client's subscriptions following what it holds, and the whole checked for references
// that lead nowhere.
//
// Envoy asks for every cluster and every listener (wildcards), then the assignments of its EDS clusters and the
// routes its listeners name. Proxyless gRPC starts from the listeners of the services it dials (`services`),
// then the routes they name, the clusters the routes point to and those clusters' assignments.
import { DeltaAds, SotwAds, TYPE, adsStub, kindOf } from './ads-client.mjs';
import { violationError } from './envoy-validate.mjs';

/** A client that keeps its stream open and its subscriptions in step with what it holds, as a proxy does. */
export class Follower {
  /** `node` decides the kind ('envoy' or 'grpc', from its metadata); `services`: what a gRPC client dials. */
  constructor(address, node, { protocol = 'sotw', services = [] } = {}) {
    this.node = node;
    this.protocol = protocol;
    this.kind = kindOf(node);
    this.stub = adsStub(address);
    this.ads = protocol === 'delta' ? new DeltaAds(this.stub, node) : new SotwAds(this.stub, node);
    this.view = this.ads.view;
    this.subscribed = new Map(); // type URL -> names ('*': the wildcard)
    this.last = new Map();
    this.wanted = this.kind === 'envoy'
      ? { [TYPE.cluster]: () => null, [TYPE.listener]: () => null, [TYPE.endpoint]: (r) => r.assignments, [TYPE.route]: (r) => r.routes }
      : { [TYPE.listener]: () => new Set(services), [TYPE.route]: (r) => r.routes, [TYPE.cluster]: (r) => r.clusters, [TYPE.endpoint]: (r) => r.assignments };
  }

  /**
   * Brings every subscription in line with what the client holds; returns the types that gained names (or
   * their wildcard), whose answer is now awaited.
   */
  resubscribe() {
    const refs = this.view.references();
    const gained = [];
    for (const [typeUrl, want] of Object.entries(this.wanted)) {
      const names = want(refs) ?? new Set(['*']);
      const before = this.subscribed.get(typeUrl);
      if (!before && names.size === 0) continue;
      const added = [...names].filter((n) => !before?.has(n));
      const removed = [...(before ?? [])].filter((n) => !names.has(n));
      if (added.length === 0 && removed.length === 0) continue;
      this.subscribed.set(typeUrl, names);
      if (added.length) gained.push(typeUrl);
      if (this.protocol === 'delta') {
        this.ads.send({ type_url: typeUrl, resource_names_subscribe: added, resource_names_unsubscribe: removed });
      } else {
        const last = this.last.get(typeUrl);
        this.ads.request(typeUrl, names.has('*') ? [] : [...names].sort(), last ? { version: last.version_info, nonce: last.nonce } : {});
      }
    }
    return gained;
  }

  /** Every subscription answered and every subscribed name held (a gRPC client's listeners excepted: it may dial a service that does not exist). */
  complete(pending) {
    if (pending.size) return false;
    for (const [typeUrl, names] of this.subscribed) {
      if (names.has('*') || (this.kind === 'grpc' && typeUrl === TYPE.listener)) continue;
      for (const n of names) if (!this.view.of(typeUrl).has(n)) return false;
    }
    return true;
  }

  /**
   * Reads, ACKs and follows responses until the client holds everything it subscribed to and `done(view)`
   * holds. Throws on the first response that breaks Envoy's rules, and on timeout.
   */
  async until(done = null, { what = 'the client to hold everything it subscribed to', timeoutMs = 20_000, show } = {}) {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.resubscribe());
    for (;;) {
      if (this.complete(pending) && (!done || done(this.view))) return this.view;
      let response;
      try {
        response = await this.ads.next(Math.max(1, deadline - Date.now()));
      } catch (e) {
        if (/no response within/.test(e.message)) {
          const missing = [...this.subscribed].filter(([t, names]) => !names.has('*')).map(([t, names]) => [t.split('.').pop(), [...names].filter((n) => !this.view.of(t).has(n)).length]);
          throw new Error(`${this.node.id} (${this.protocol}): timed out waiting for ${what}; names subscribed but not held, by type: ${JSON.stringify(missing)}`
            + `; answers awaited: ${[...pending].map((t) => t.split('.').pop()).join(', ') || 'none'}${show ? `; ${show(this.view)}` : ''}`);
        }
        throw e;
      }
      this.last.set(response.type_url, response);
      pending.delete(response.type_url);
      this.ads.ack(response);
      for (const t of this.resubscribe()) pending.add(t);
    }
  }

  /** Asserts that everything the client was told to fetch was served. */
  assertConsistent() {
    const incomplete = this.view.consistency();
    if (incomplete.length) throw violationError(`${this.protocol} stream of ${this.node.id}`, incomplete);
    return this.view;
  }

  close() {
    this.ads.close();
    this.stub.close();
  }
}

/**
 * Takes everything the bridge at `address` serves `node` over a new stream of `protocol`, and returns the
 * stream's view (see XdsView). Throws on any violation, and when a listener, route or cluster names something
 * that was never sent.
 */
export async function snapshot(address, node, options = {}) {
  const follower = new Follower(address, node, options);
  try {
    await follower.until(null, { timeoutMs: options.timeoutMs });
    return follower.assertConsistent();
  } finally {
    follower.close();
  }
}
