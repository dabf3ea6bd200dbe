// The project's Consul-compatible dev agent (Bridge.DevAgent) as a child process, driven through Consul's
// own agent HTTP API: exactly what an operator's tooling would do against a real agent.
import { ManagedProcess, whenReady } from './processes.mjs';
import { devAgentDll } from './paths.mjs';

export class DevAgent {
  /**
   * Starts an agent on a port the kernel picks; it prints `dev agent listening on <address>` once it serves.
   * `seed`: a seed file (Bridge.DevAgent/Seeding/SeedFile.cs, see Bridge.DevAgent/README.md) registered before it
   * listens; `datacenters` lists every datacenter it serves, nearest first (its own, dc1, first); `primary` is where
   * config entries are written (dc1 by default); `options`: more of its command line, e.g.
   * ['--max-conns-per-client', '0'].
   */
  static async start({ seed, datacenters, primary, options = [] } = {}) {
    const args = [devAgentDll(), '--url', 'http://127.0.0.1:0'];
    if (seed) args.push('--seed', seed);
    if (datacenters !== undefined) args.push('--datacenters', datacenters.join(','));
    if (primary !== undefined) args.push('--primary-dc', primary);
    args.push(...options);
    const proc = new ManagedProcess('dev-agent', 'dotnet', args, { env: childEnv() });
    const listening = proc.waitForLine(/dev agent listening on (http:\/\/\S+)/);
    proc.start();
    const [, url] = await whenReady(proc, listening, 30_000, 'listening');
    return new DevAgent(proc, url.replace(/\/$/, ''));
  }

  constructor(proc, url) {
    this.proc = proc;
    this.url = url;
    /** ACL token sent with every Consul API request (`X-Consul-Token`); none by default. */
    this.token = undefined;
  }

  async request(method, path, body) {
    const { status, ok, text } = await this.exchange(method, path, body);
    if (!ok) throw new Error(`dev agent: ${method} ${path} -> HTTP ${status}: ${text.slice(0, 300)}`);
    return text;
  }

  /** One request, whatever its status: `{ status, ok, text, index }` (index: X-Consul-Index as a number, if sent). */
  async exchange(method, path, body) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.token !== undefined && path.startsWith('/v1/')) headers['x-consul-token'] = this.token;
    const response = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const index = response.headers.get('x-consul-index');
    return { status: response.status, ok: response.ok, text: await response.text(), index: index === null ? undefined : Number(index) };
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
   * node meta (e.g. { zone }) and one passing-or-not check for the instance. `datacenter` puts it in another
   * datacenter the agent serves (Consul routes a catalog write by its body, not by ?dc=); `wan` gives the node and
   * the instance a WAN address (`{ address, port }`, port defaulting to the instance's), as remote datacenters are
   * reached.
   */
  catalogRegister({ node, nodeMeta = {}, id, name, address = '127.0.0.1', port, tags = [], meta = {}, weights = { passing: 1, warning: 1 }, status = 'passing', datacenter, wan }) {
    const service = { ID: id, Service: name, Address: address, Port: port, Tags: tags, Meta: meta, Weights: { Passing: weights.passing, Warning: weights.warning } };
    const body = {
      Node: node,
      Address: address,
      NodeMeta: nodeMeta,
      Service: service,
      Check: { CheckID: `service:${id}`, Name: `${name} check`, Status: status, ServiceID: id },
    };
    if (datacenter !== undefined) body.Datacenter = datacenter;
    if (wan !== undefined) {
      body.TaggedAddresses = { lan: address, wan: wan.address, wan_ipv4: wan.address };
      service.TaggedAddresses = { lan: { Address: address, Port: port }, wan: { Address: wan.address, Port: wan.port ?? port } };
    }
    return this.request('PUT', '/v1/catalog/register', body);
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

  /** Health entries of a service (in datacenter `dc`, kept to those `filter` selects), to check that the agent took a change. */
  health(service, { dc, filter } = {}) {
    return this.get(`/v1/health/service/${encodeURIComponent(service)}${query({ dc, filter })}`);
  }

  /**
   * Writes a config entry (`{ Kind, Name, ... }` as Consul takes it) through PUT /v1/config, into the primary
   * datacenter, which replicates it. Resolves to Consul's answer: true, or false when `cas` (the ModifyIndex to
   * replace, 0 for "only if absent") did not hold. Consul's refusals reject with their status and text.
   */
  async putConfigEntry(entry, { cas } = {}) {
    return JSON.parse(await this.request('PUT', `/v1/config${query({ cas })}`, entry));
  }

  /** One config entry (of datacenter `dc`), or null when Consul answers 404. */
  async configEntry(kind, name, { dc } = {}) {
    const reply = await this.exchange('GET', `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}${query({ dc })}`);
    if (reply.status === 404) return null;
    if (!reply.ok) throw new Error(`dev agent: GET config ${kind}/${name} -> HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
    return JSON.parse(reply.text);
  }

  /** Every config entry of a kind (of datacenter `dc`), sorted by name as Consul lists them. */
  configEntries(kind, { dc } = {}) {
    return this.get(`/v1/config/${encodeURIComponent(kind)}${query({ dc })}`);
  }

  /** Deletes a config entry; with `cas`, resolves to whether it was deleted. */
  async deleteConfigEntry(kind, name, { cas } = {}) {
    return JSON.parse(await this.request('DELETE', `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}${query({ cas })}`));
  }

  /** Serves one more datacenter (farthest so far); resolves to every datacenter: `[{ Name, Local, Primary, Reachable, Index, ConfigEntriesIndex }]`. */
  async addDatacenter(name) {
    return JSON.parse(await this.request('PUT', `/_dev/datacenters/${encodeURIComponent(name)}`));
  }

  /** Every datacenter served, nearest first: `[{ Name, Local, Primary, Reachable, Index, ConfigEntriesIndex }]`. */
  datacenters() {
    return this.get('/_dev/datacenters');
  }

  /**
   * Replaces the agent's injected faults (see Bridge.DevAgent/Faults/FaultSettings.cs); {} clears them. Build the
   * newer knobs with `faultFields` and combine them: `agent.faults({ ...faultFields.stripIndex(), ...faultFields.staleReads({ lagWrites: 3 }) })`.
   */
  faults(settings) {
    return this.request('PUT', '/_dev/faults', settings);
  }

  /**
   * Creates an ACL token or replaces its rules, and turns ACLs on (default deny). `rules` is Consul's JSON policy
   * syntax, e.g. `{ service_prefix: { '': { policy: 'read' } }, node: { n1: { policy: 'write' } } }`; the secret
   * `anonymous` sets what requests without a token may do. A rules change moves no Consul index.
   * Resolves to `{ SecretID, AccessorID, Rules }`.
   */
  async setAclToken(secret, rules = {}) {
    return JSON.parse(await this.request('PUT', `/_dev/acl/tokens/${encodeURIComponent(secret)}`, rules));
  }

  /** Deletes an ACL token: requests that send it get 403 `ACL not found` from then on. */
  deleteAclToken(secret) {
    return this.request('DELETE', `/_dev/acl/tokens/${encodeURIComponent(secret)}`);
  }

  /** Every ACL token: `[{ SecretID, AccessorID, Rules }]`. */
  aclTokens() {
    return this.get('/_dev/acl/tokens');
  }

  /**
   * Wipes the catalog as a cluster rebuilt from scratch would be: only the agent's own node, its serfHealth check
   * and the `consul` service remain, indexes restart low, and every blocking query returns at once. Resolves to
   * the new index. ACL tokens stay.
   */
  async wipe() {
    return JSON.parse(await this.request('PUT', '/_dev/catalog/wipe')).Index;
  }

  stop() {
    return this.proc.stop();
  }
}

// A query string of the defined parameters.
function query(parameters) {
  const defined = Object.entries(parameters).filter(([, value]) => value !== undefined);
  return defined.length === 0 ? '' : '?' + defined.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&');
}

/** The environment for .NET children: no inherited settings that could point them elsewhere. */
const SERVICE_MANAGER_VARIABLES = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES',
  'STATE_DIRECTORY', 'CONFIGURATION_DIRECTORY', 'INVOCATION_ID', 'JOURNAL_STREAM'];

export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // What the bridge or .NET would read as settings (Bridge.Testing/Hosting/BridgeProcess.cs, ReadAsSettings).
    if (key.startsWith('BRIDGE_') || key.startsWith('CONSUL_') || key.startsWith('ASPNETCORE_') || key === 'DOTNET_ENVIRONMENT'
      || key.toUpperCase().startsWith('DOTNET_GC') || SERVICE_MANAGER_VARIABLES.includes(key)) continue;
    env[key] = value;
  }
  env.DOTNET_CLI_TELEMETRY_OPTOUT = '1';
  env.DOTNET_NOLOGO = '1';
  return { ...env, ...extra };
}

/**
 * Pieces of a fault set for `DevAgent#faults`, one per knob; spread several into one call, as each call replaces
 * every fault in force. Durations are Go duration strings ('1.5s').
 */
export const faultFields = {
  /** Answers under `pathPrefix` (every /v1 answer when omitted) lose their X-Consul-Index header. */
  stripIndex: ({ pathPrefix } = {}) => ({ StripIndex: pathPrefix === undefined ? {} : { PathPrefix: pathPrefix } }),

  /**
   * One of Consul's error answers (kind: 'NoLeader', 'ServerRateLimit', 'RpcRateLimit', 'Custom', ...), for the
   * next `count` requests (all when omitted) under `pathPrefix`, with `Retry-After: <retryAfter>` (seconds) if given.
   */
  error: (kind, { count, pathPrefix, retryAfter, statusCode, body } = {}) => ({
    Error: {
      Kind: kind,
      ...(count !== undefined && { Count: count }),
      ...(pathPrefix !== undefined && { PathPrefix: pathPrefix }),
      ...(retryAfter !== undefined && { RetryAfter: retryAfter }),
      ...(statusCode !== undefined && { StatusCode: statusCode }),
      ...(body !== undefined && { Body: body }),
    },
  }),

  /**
   * How `?stale` reads are answered: `X-Consul-KnownLeader: <knownLeader>`, `X-Consul-LastContact: <lastContact>`
   * (a Go duration, sent in ms), and data `lagWrites` writes behind (1-64) or frozen as of now (`freeze`). Reads
   * without ?stale, and reads whose max_stale is below lastContact, get the leader's current answer.
   */
  staleReads: ({ knownLeader = true, lastContact, lagWrites, freeze = false } = {}) => ({
    StaleReads: {
      KnownLeader: knownLeader,
      ...(lastContact !== undefined && { LastContact: lastContact }),
      ...(lagWrites !== undefined && { LagWrites: lagWrites }),
      Freeze: freeze,
    },
  }),

  /**
   * The WAN link to these datacenters (never the agent's own) is down: requests for them get 500 `Remote DC has no
   * server currently reachable`, blocking queries parked there end with 500 `rpc error making call: EOF`, and config
   * entries stop replicating to them. `agent.faults({})` brings them back, and they catch up.
   */
  unreachableDatacenters: (names) => ({ UnreachableDatacenters: names }),
};
