// Helpers for the fault scenarios: paced RPC traffic that remembers when each RPC ran and how it ended,
// a /readyz poller that records every state the bridge reported, the dev agent's control API beyond what
// DevAgent wraps, and the per-scenario record printed as the closing summary.
import { setTimeout as delay } from 'node:timers/promises';
import { call, runBatch, Tally } from './clients.mjs';
import { waitFor } from './wait.mjs';

/**
 * RPCs flowing from `concurrency` workers, each pausing `pauseMs` between calls, until stopped. Every RPC is
 * kept as { start, end, outcome, details } (ms timestamps) so a scenario can ask what happened in a window.
 */
export class Traffic {
  constructor(client, { concurrency = 2, pauseMs = 20, deadlineMs = 5000 } = {}) {
    this.client = client;
    this.rpcs = [];
    this.running = true;
    const worker = async () => {
      while (this.running) {
        const start = Date.now();
        const { outcome, details } = await call(client, { deadlineMs });
        this.rpcs.push({ start, end: Date.now(), outcome, details });
        if (pauseMs > 0 && this.running) await delay(pauseMs);
      }
    };
    this.workers = Array.from({ length: concurrency }, worker);
  }

  /** Tally of the RPCs that started in [from, to). */
  tally(from = 0, to = Infinity) {
    const t = new Tally();
    for (const r of this.rpcs) if (r.start >= from && r.start < to) t.add(r);
    return t;
  }

  get total() {
    return this.rpcs.length;
  }

  /** The failed RPCs, with when they started relative to `origin`, for messages. */
  failuresDescribed(origin = 0, max = 5) {
    return this.rpcs.filter((r) => r.outcome.startsWith('ERR ')).slice(0, max)
      .map((r) => `${r.outcome} at +${r.start - origin} ms (${r.details})`).join('; ');
  }

  /** Waits until `count` more RPCs have completed. */
  async flow(count, timeout = 20_000) {
    const target = this.rpcs.length + count;
    await waitFor(`${count} more RPCs to ${this.client.service}`, async () => this.rpcs.length, (n) => n >= target, { timeout, interval: 50 });
  }

  /**
   * Waits until the traffic shows a change made at `since`: a run of `run` consecutive RPCs, all started after
   * `since`, all succeeding and for which `accept(outcomeNames)` holds. Returns the ms from `since` to the start
   * of the first RPC of that run: how long the change took to reach the client's picks.
   */
  async followed(what, since, accept, { run = 30, timeout = 20_000 } = {}) {
    let found;
    await waitFor(what, async () => {
      const after = this.rpcs.filter((r) => r.start >= since).sort((a, b) => a.start - b.start);
      for (let i = 0; i + run <= after.length; i++) {
        const window = after.slice(i, i + run);
        if (window.every((r) => !r.outcome.startsWith('ERR ')) && accept(window.map((r) => r.outcome))) {
          found = window[0].start - since;
          return true;
        }
      }
      return false;
    }, (ok) => ok, { timeout, interval: 50 });
    return found;
  }

  async stop() {
    this.running = false;
    await Promise.all(this.workers);
    return this.tally();
  }
}

/**
 * Polls the bridge's /readyz every `intervalMs` and records each answer's status (or `unreachable` while the
 * admin listener is away, e.g. across a restart), so a scenario can assert what was reported in a window.
 */
export class ReadinessLog {
  constructor(bridge, { intervalMs = 25 } = {}) {
    this.bridge = bridge;
    this.samples = [];
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const t = Date.now();
        let status;
        try {
          status = (await bridge.admin('/readyz')).body.status;
        } catch {
          status = 'unreachable';
        }
        this.samples.push({ t, status });
        await delay(intervalMs);
      }
    })();
  }

  /** The statuses sampled in [from, to) as a sequence of changes, e.g. ['ready', 'degraded', 'ready']. */
  seen(from = 0, to = Infinity) {
    const changes = [];
    for (const s of this.samples) {
      if (s.t >= from && s.t < to && changes.at(-1) !== s.status) changes.push(s.status);
    }
    return changes;
  }

  get latest() {
    return this.samples.at(-1)?.status;
  }

  /** Waits until /readyz says `status`; returns when (ms timestamp) it was first sampled after `since`. */
  async until(status, { since = 0, timeout = 20_000 } = {}) {
    const sample = await waitFor(`/readyz to say ${status}`,
      async () => this.samples.find((s) => s.t >= since && s.status === status) ?? { last: this.latest },
      (s) => s.status === status, { timeout, interval: 25 });
    return sample.t;
  }

  async stop() {
    this.running = false;
    await this.loop;
  }
}

/** The dev agent's control API (/_dev, never faulted) beyond DevAgent's own helpers. */
export const devControl = {
  clearFaults: (agent) => agent.request('DELETE', '/_dev/faults'),
  /** The faults in force (counts show what is left; a spent or expired fault is absent). */
  faultsInForce: async (agent) => (await agent.get('/_dev/faults')).Settings,
  /** How often each fault has been applied since the agent started. */
  faultCounters: async (agent) => (await agent.get('/_dev/faults')).Counters,
  stats: (agent) => agent.get('/_dev/stats'),
  index: async (agent) => (await agent.get('/_dev/catalog/index')).Index,
  resetIndex: (agent, index) => agent.request('PUT', '/_dev/catalog/reset-index', { Index: index }),
  /** A new index for `service` with a byte-identical body: wakes the bridge's blocking query on it. */
  touch: (agent, service) => agent.request('PUT', `/_dev/catalog/touch/${encodeURIComponent(service)}`),
};

/** Sums the bridge's `consul_errors_total` samples (Prometheus text) whose labels include every `labels` pair. */
export async function consulErrors(bridge, labels = {}) {
  const response = await fetch(`${bridge.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^(\w*consul_errors_total)\{([^}]*)\}\s+(\S+)/);
    if (!m) continue;
    const have = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Per-scenario figures, printed as TAP diagnostics by `printSummary`. */
export class Summary {
  constructor() {
    this.rows = [];
    this.startedAt = Date.now();
  }

  /** `row`: { scenario, rpcs, failed, readyMs?, followMs?, note? } */
  record(row) {
    this.rows.push(row);
  }

  lines() {
    const header = ['scenario', 'RPCs', 'failed', 'ready again after fault', 'next change followed in', 'note'];
    const fmt = (ms) => (ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
    const table = [header, ...this.rows.map((r) => [r.scenario, String(r.rpcs ?? '-'), String(r.failed ?? '-'), fmt(r.readyMs), fmt(r.followMs), r.note ?? ''])];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    const line = (row) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    return [
      line(table[0]),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...table.slice(1).map(line),
      `wall time of the scenarios: ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`,
    ];
  }
}

/** Only the backend names in a list of outcomes, as a sorted set. */
export function servedBy(outcomes) {
  return [...new Set(outcomes.filter((o) => !o.startsWith('ERR ')))].sort();
}

/**
 * An HTTP relay in front of the dev agent, for answers the agent's own knobs cannot give:
 *
 * - `plain = true` drops `Accept-Encoding`, so answers reach the bridge uncompressed, with their Content-Length.
 *   The agent gzips for any client that asks (as Consul does) and the bridge always asks; gzipped, a
 *   `DropMidBody` answer arrives as a complete stream of half the JSON, and an oversized one without a length.
 *   Uncompressed, the cut is real (the bridge's socket is destroyed short of the promised length) and the
 *   length is declared.
 * - `corruptGzip(count, pathPrefix)` damages the next `count` gzipped bodies whose path starts with
 *   `pathPrefix`: every byte after the 10-byte gzip header is flipped, as a broken middlebox or a bad NIC
 *   would leave it. The HTTP framing stays intact; only inflating the body fails.
 *
 * Anything the agent does to a connection (an abort, a close) the relay does to the bridge's.
 */
export async function startRelay(upstreamUrl, { plain = false } = {}) {
  const http = await import('node:http');
  const { Transform } = await import('node:stream');
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const relay = {
    plain,
    pending: [],
    corrupted: [],
    corruptGzip(count, pathPrefix = '/v1/') {
      relay.pending.push({ left: count, pathPrefix });
    },
  };
  const takeCorruption = (path) => {
    const c = relay.pending.find((p) => p.left > 0 && path.startsWith(p.pathPrefix));
    if (!c) return false;
    c.left -= 1;
    relay.corrupted.push(path);
    return true;
  };
  const flipAfterHeader = () => {
    let offset = 0;
    return new Transform({
      transform(chunk, _, done) {
        const out = Buffer.from(chunk);
        for (let i = 0; i < out.length; i++, offset++) if (offset >= 10) out[i] ^= 0x5a;
        done(null, out);
      },
    });
  };
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host };
    if (relay.plain) delete headers['accept-encoding'];
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      const corrupt = answer.headers['content-encoding'] === 'gzip' && takeCorruption(req.url);
      (corrupt ? answer.pipe(flipAfterHeader()) : answer).pipe(res);
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
      answer.on('end', () => {
        if (!answer.complete) res.destroy();
      });
    });
    out.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${server.address().port}`;
  relay.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    agent.destroy();
    server.close(() => resolve());
  });
  return relay;
}

/**
 * A service `<name>` with backends `<name>-1` and `<name>-2` registered in the suite's agent, a client of its own
 * (node `<name>-client`) that reaches both, paced traffic on it and a /readyz log, both running until the test
 * finishes them. `started` is when it was ready.
 */
export async function prepareService(env, clients, name) {
  const backends = await env.startBackends([`${name}-1`, `${name}-2`]);
  await env.register(name, backends);
  const client = clients.client(name, { nodeId: `${name}-client` });
  await waitFor(`${name} to be served by both backends`, () => runBatch(client, 20),
    (t) => t.failures === 0 && t.backends.length === 2, { timeout: 20_000 });
  const traffic = new Traffic(client);
  const readiness = new ReadinessLog(env.bridge);
  await readiness.until('ready', { timeout: 10_000 });
  await traffic.flow(20);
  return { name, backends, client, traffic, readiness, started: Date.now() };
}
