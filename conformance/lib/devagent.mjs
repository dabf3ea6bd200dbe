// The project's Consul-compatible dev agent (Bridge.DevAgent) as a child process, driven through Consul's
// own agent HTTP API: exactly what an operator's tooling would do against a real agent.
import { ManagedProcess, whenReady } from './processes.mjs';
import { devAgentDll } from './paths.mjs';

export class DevAgent {
  /**
   * Starts an agent on a port the kernel picks; it prints `dev agent listening on <address>` once it serves.
   * `seed`: a seed file (Bridge.DevAgent/Seeding/SeedFile.cs) registered before it listens; `options`: more of
   * its command line, e.g. ['--max-conns-per-client', '0'].
   */
  static async start({ seed, options = [] } = {}) {
    const args = [devAgentDll(), '--url', 'http://127.0.0.1:0', ...(seed ? ['--seed', seed] : []), ...options];
    const proc = new ManagedProcess('dev-agent', 'dotnet', args, { env: childEnv() });
    const listening = proc.waitForLine(/dev agent listening on (http:\/\/\S+)/);
    proc.start();
    const [, url] = await whenReady(proc, listening, 30_000, 'listening');
    return new DevAgent(proc, url.replace(/\/$/, ''));
  }

  constructor(proc, url) {
    this.proc = proc;
    this.url = url;
  }

  async request(method, path, body) {
    const response = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`dev agent: ${method} ${path} -> HTTP ${response.status}: ${text.slice(0, 300)}`);
    return text;
  }

  async get(path) {
    return JSON.parse(await this.request('GET', path));
  }

  /**
   * Registers (or replaces) one instance with a TTL check, as Consul's agent API takes it. The check's ID is
   * Consul's default for an inline check, `service:<ID>`.
   */
  register({ id, name, address = '127.0.0.1', port, tags = [], meta = {}, weights = { passing: 1, warning: 1 }, status = 'passing' }) {
    return this.request('PUT', '/v1/agent/service/register', {
      ID: id,
      Name: name,
      Address: address,
      Port: port,
      Tags: tags,
      Meta: meta,
      Weights: { Passing: weights.passing, Warning: weights.warning },
      Check: { TTL: '8760h', Status: status },
    });
  }

  /**
   * Registers an instance on a node of its own through the catalog API (as a node's agent would), with
   * node meta (e.g. { zone }) and one passing-or-not check for the instance.
   */
  catalogRegister({ node, nodeMeta = {}, id, name, address = '127.0.0.1', port, meta = {}, weights = { passing: 1, warning: 1 }, status = 'passing' }) {
    return this.request('PUT', '/v1/catalog/register', {
      Node: node,
      Address: address,
      NodeMeta: nodeMeta,
      Service: { ID: id, Service: name, Address: address, Port: port, Meta: meta, Weights: { Passing: weights.passing, Warning: weights.warning } },
      Check: { CheckID: `service:${id}`, Name: `${name} check`, Status: status, ServiceID: id },
    });
  }

  deregister(id) {
    return this.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
  }

  /** Sets the instance's TTL check: 'pass' | 'warn' | 'fail'. */
  check(id, verb) {
    return this.request('PUT', `/v1/agent/check/${verb}/service:${encodeURIComponent(id)}`);
  }

  maintenance(id, enable, reason = 'conformance') {
    return this.request('PUT', `/v1/agent/service/maintenance/${encodeURIComponent(id)}?enable=${enable}&reason=${encodeURIComponent(reason)}`);
  }

  /** Health entries of a service, to check that the agent itself took a change. */
  health(service) {
    return this.get(`/v1/health/service/${encodeURIComponent(service)}`);
  }

  /** Replaces the agent's injected faults (see Bridge.DevAgent/Faults/FaultSettings.cs); {} clears them. */
  faults(settings) {
    return this.request('PUT', '/_dev/faults', settings);
  }

  stop() {
    return this.proc.stop();
  }
}

/** The environment for .NET children: no inherited settings that could point them elsewhere. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('BRIDGE_') || key.startsWith('CONSUL_') || key.startsWith('ASPNETCORE_') || key.startsWith('DOTNET_ENVIRONMENT')) continue;
    env[key] = value;
  }
  env.DOTNET_CLI_TELEMETRY_OPTOUT = '1';
  env.DOTNET_NOLOGO = '1';
  return { ...env, ...extra };
}
