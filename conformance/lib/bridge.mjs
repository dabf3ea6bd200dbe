// The bridge daemon (consul-xds-bridge) as a child process, pointed at a dev agent, serving ADS on a port
// it keeps across restarts. It is started with the same contract as the C# tests' and load harness's
// Bridge.Testing/Hosting/BridgeProcess.cs, which documents it: the built daemon with --Consul:Address, --Ads:Listen
// and --Admin:Listen on free loopback ports then --Key=Value settings; no inherited BRIDGE_*, CONSUL_*, ASPNETCORE_*,
// DOTNET_ENVIRONMENT, GC or systemd variables; BRIDGE_CONFIG naming the test's file or one that does not exist;
// ready once Kestrel says the ADS port listens.
import os from 'node:os';
import path from 'node:path';
import { ManagedProcess, whenReady } from './processes.mjs';
import { daemonDll } from './paths.mjs';
import { freePort } from './ports.mjs';
import { childEnv } from './devagent.mjs';

export class Bridge {
  /**
   * `settings` are extra configuration keys, e.g. { 'Xds:ConnectTimeout': '00:00:02' }, given on the command
   * line (they win over any file). `configFile`: the settings file the daemon reads and reloads (BRIDGE_CONFIG).
   */
  static async start({ consulAddress, settings = {}, configFile }) {
    const port = await freePort();
    const adminPort = await freePort();
    const args = [
      daemonDll(),
      `--Consul:Address=${consulAddress}`,
      `--Ads:Listen=127.0.0.1:${port}`,
      `--Admin:Listen=127.0.0.1:${adminPort}`,
      ...Object.entries(settings).map(([k, v]) => `--${k}=${v}`),
    ];
    // No machine-wide settings file: the suite must not depend on what is installed under /etc.
    const env = childEnv({ BRIDGE_CONFIG: configFile ?? path.join(os.tmpdir(), 'consul-xds-bridge-conformance-no-such-file.json') });
    const bridge = new Bridge(new ManagedProcess('bridge', 'dotnet', args, { env }), port, adminPort);
    await bridge.launch();
    return bridge;
  }

  constructor(proc, port, adminPort) {
    this.proc = proc;
    this.port = port;
    this.adsAddress = `127.0.0.1:${port}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
  }

  /** GET on the admin listener (/readyz, /debug/clients, ...), parsed. */
  async admin(path) {
    const response = await fetch(this.adminUrl + path, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.json() };
  }

  /** Node ids with an ADS stream open right now, as the bridge itself lists them. */
  async connectedNodes() {
    const { body } = await this.admin('/debug/clients');
    return body.map((c) => c.nodeId);
  }

  async launch() {
    const listening = this.proc.waitForLine(new RegExp(`Now listening on: http://${this.adsAddress.replaceAll('.', '\\.')}\\b`));
    this.proc.start();
    await whenReady(this.proc, listening, 30_000, 'listening');
  }

  /** Kills the daemon outright (a crash, not a shutdown) and starts it again on the same port. */
  async crashAndRestart() {
    await this.proc.kill();
    await this.launch();
  }

  /** Asks the daemon to reload its settings (SIGHUP, as `systemctl reload` does). */
  reload() {
    this.proc.child.kill('SIGHUP');
  }

  stop() {
    return this.proc.stop(3000);
  }
}
