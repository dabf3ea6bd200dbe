// gRPC C-core (Debian's python3-grpcio 1.51, C-core 29) as a second real xDS client: Python processes under
// ccore/, driven over line-delimited JSON (ccore/wire.py). A CCoreClient is one application process: one
// node id, one C-core xDS client, any number of xds:/// channels. CCoreBackends is one process hosting any
// number of Python gRPC backends, each answering with its own name.
//
// Every client runs with GRPC_TRACE=xds_client: C-core then logs each resource it parses, each resource it
// gives up on, and each response it rejects. The harness reads that log as it is written; a rejection is
// never just logged, the suite fails on it (see `rejections`).
import path from 'node:path';
import { ECHO_METHOD } from './backends.mjs';
import { bootstrap } from './bootstrap.mjs';
import { repoRoot } from './paths.mjs';
import { ManagedProcess, whenReady } from './processes.mjs';
import { Tally } from './tally.mjs';

/** Debian's interpreter, for which python3-grpcio is installed (not whatever python3 comes first on PATH). */
export const PYTHON = '/usr/bin/python3';
const scripts = path.join(repoRoot, 'conformance', 'ccore');

// A C-core log entry starts with severity, date, time, thread and source line; anything else continues one.
const ENTRY = /^[DIEW]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\]\s+(.*)$/;
// What C-core logs when it rejects a response (or part of one): the NACK it sends, and why.
const REJECTION = /will NACK|validation failure|invalid (?:Listener|RouteConfiguration|Cluster|ClusterLoadAssignment) |error parsing ADS response|sending ADS request: .* error=(?!OK$)/;
const PARSED = /\] parsed (Listener|RouteConfiguration|Cluster|ClusterLoadAssignment) (\S+):/;
const DOES_NOT_EXIST = /timeout obtaining resource \{type=envoy\.config\.\w+\.v3\.(\w+) name=([^}]*)\}/;
const MAX_ENTRY_LINES = 20;

/** A Python process under ccore/ answering requests by id; its stdout carries only the replies. */
class PythonWorker {
  constructor(name, script, env) {
    this.proc = new ManagedProcess(name, PYTHON, [path.join(scripts, script), ECHO_METHOD], {
      stdin: 'pipe',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
    });
    this.pending = new Map();
    this.nextId = 1;
    this.stopping = false;
    /** How the process ended if it ended unasked (a crash), else null. */
    this.died = null;
    this.proc.onLine((stream, line) => {
      if (stream === 'out') this.settle(line);
    });
  }

  async start() {
    const ready = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
    this.proc.start();
    this.proc.exit.then(({ code, signal }) => {
      if (!this.stopping) this.died = `exited (code=${code}, signal=${signal})`;
      for (const { reject } of this.pending.values()) reject(new Error(`${this.proc.name} exited (code=${code}, signal=${signal})`));
      this.pending.clear();
    });
    /** What the process said of itself when ready (client.py: { grpcio: version }). */
    this.about = await whenReady(this.proc, ready, 15_000, 'ready');
    return this;
  }

  settle(line) {
    let reply;
    try {
      reply = JSON.parse(line);
    } catch {
      return; // not a reply: recorded with the rest of the output
    }
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.error) waiter.reject(new Error(`${this.proc.name}: ${reply.error}`));
    else waiter.resolve(reply);
  }

  /** Sends `{op, ...args}` and resolves to the reply; rejects on an error reply, an exit or `timeoutMs`. */
  request(op, args, timeoutMs = 30_000) {
    if (this.died) return Promise.reject(new Error(`${this.proc.name} ${this.died}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.proc.name}: no answer to ${op} ${JSON.stringify(args)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (f) => (value) => {
        clearTimeout(timer);
        f(value);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      this.proc.writeLine(JSON.stringify({ id, op, ...args }));
    });
  }

  stop() {
    this.stopping = true;
    return this.proc.stop(3000);
  }
}

/** Python gRPC servers on addresses the kernel picks, each answering with its own name. */
export class CCoreBackends {
  static async start() {
    return new CCoreBackends(await new PythonWorker('ccore-backends', 'backends.py', {}).start());
  }

  constructor(worker) {
    this.worker = worker;
  }

  /**
   * Starts a backend named `name` on `host` (127.0.0.1 or ::1), with `options` as lib/backends.mjs takes them
   * (`failWith`, `delayMs`, `hold`); resolves to { name, address, port, stop, waitHeld, release }.
   */
  async start(name, host = '127.0.0.1', options = {}) {
    const { port } = await this.worker.request('start', { name, host, ...options });
    return {
      name,
      address: host,
      port,
      stop: () => this.worker.request('stop', { name }),
      waitHeld: async (count, timeoutMs = 10_000) => (await this.worker.request('held', { name, count, timeoutMs }, timeoutMs + 5_000)).held,
      release: () => this.worker.request('release', { name }),
    };
  }

  startAll(names, host, options) {
    return Promise.all(names.map((name) => this.start(name, host, options)));
  }

  close() {
    return this.worker.stop();
  }
}

/**
 * One proxyless gRPC application on C-core under one node id, with the bootstrap `consul-xds-bridge
 * bootstrap grpc --node-id <id> [--services ...] [--service-name ...]` prints, and what its xds_client trace has said so far.
 */
export class CCoreClient {
  /**
   * `trace` adds C-core tracers to xds_client; `rejections` is where rejected responses go (an array shared by
   * several clients collects all of theirs, in the order they happened).
   */
  static async start({ adsAddress, nodeId, services, serviceName, trace = [], rejections = [] }) {
    const config = bootstrap({ adsAddress, nodeId, services, serviceName });
    const worker = new PythonWorker(nodeId, 'client.py', {
      GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(config),
      GRPC_TRACE: ['xds_client', ...trace].join(','),
      GRPC_VERBOSITY: 'info',
    });
    const client = new CCoreClient(nodeId, worker, rejections);
    await worker.start();
    return client;
  }

  constructor(nodeId, worker, rejections) {
    this.nodeId = nodeId;
    this.worker = worker;
    /** Every log entry in which C-core rejected something: its lines as logged, the first naming the node. */
    this.rejections = rejections;
    /** `Type/name` of every resource C-core parsed (and so accepted) so far. */
    this.parsed = new Set();
    /** `Type/name` of every resource C-core gave up waiting for (its does-not-exist timer fired). */
    this.missing = new Set();
    let entry = null;
    worker.proc.onLine((stream, line) => {
      if (stream !== 'err') return;
      const start = line.match(ENTRY);
      if (!start) {
        if (entry && entry.length < MAX_ENTRY_LINES) entry.push(line);
        return;
      }
      entry = null;
      const message = start[1];
      if (REJECTION.test(message)) {
        entry = [`[${nodeId}] ${line}`];
        this.rejections.push(entry);
      }
      const parsed = message.match(PARSED);
      if (parsed) this.parsed.add(`${parsed[1]}/${parsed[2]}`);
      const missing = message.match(DOES_NOT_EXIST);
      if (missing) this.missing.add(`${missing[1]}/${missing[2]}`);
    });
  }

  /** A channel to xds:///<service> in this application, with what lib/expect.mjs and lib/scenarios.mjs use. */
  channel(service) {
    return {
      service,
      client: this,
      batch: (count, options) => this.batch(service, count, options),
      startTraffic: (options) => this.startTraffic(service, options),
    };
  }

  /** Makes `count` RPCs to xds:///<service>, `concurrency` at a time, each with `metadata` (name to value), and tallies the outcomes. */
  async batch(service, count, { concurrency = 10, deadlineMs = 3000, metadata = {} } = {}) {
    const rounds = Math.ceil(count / Math.min(concurrency, count));
    return Tally.from(await this.worker.request('batch', { service, count, concurrency, deadlineMs, metadata }, rounds * deadlineMs + 15_000));
  }

  /** Keeps `concurrency` RPCs to xds:///<service> in flight until stopped. */
  async startTraffic(service, { concurrency = 4, deadlineMs = 5000 } = {}) {
    const { traffic } = await this.worker.request('trafficStart', { service, concurrency, deadlineMs });
    return {
      /** The tally so far. */
      read: async () => Tally.from(await this.worker.request('trafficRead', { traffic })),
      /** Stops, and resolves to the tally of every RPC started, each having completed. */
      stop: async () => Tally.from(await this.worker.request('trafficStop', { traffic }, deadlineMs + 15_000)),
    };
  }

  /** The grpcio version the application runs on. */
  get version() {
    return this.worker.about.grpcio;
  }

  /** How the application ended if it ended unasked (a crash), else null. */
  get died() {
    return this.worker.died;
  }

  /** The last `count` lines of its output. */
  tail(count = 30) {
    return this.worker.proc.tail(count);
  }

  /** Counts, from now on, the log lines that match `pattern`; returns a function that reads the count. */
  counter(pattern) {
    let count = 0;
    this.worker.proc.onLine((stream, line) => {
      if (stream === 'err' && pattern.test(line)) count += 1;
    });
    return () => count;
  }

  close() {
    return this.worker.stop();
  }
}
