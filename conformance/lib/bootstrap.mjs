// The gRPC xDS bootstrap a user would deploy: what `consul-xds-bridge bootstrap grpc` prints for a bridge.
import { execFileSync } from 'node:child_process';
import { childEnv } from './devagent.mjs';
import { daemonDll } from './paths.mjs';

const printed = new Map();

/**
 * What `consul-xds-bridge bootstrap grpc --node-id <id> [--services a,b] [--service-name s]` prints for the bridge
 * at `adsAddress`, parsed, with an optional zone and extra node metadata layered on top.
 */
export function bootstrap({ adsAddress, nodeId, services, serviceName, zone = '', metadata = {} }) {
  const args = [daemonDll(), 'bootstrap', 'grpc', '--node-id', nodeId, '--xds-address', adsAddress];
  if (services) args.push('--services', services);
  if (serviceName) args.push('--service-name', serviceName);
  const key = args.join(' ');
  if (!printed.has(key)) printed.set(key, execFileSync('dotnet', args, { env: childEnv(), encoding: 'utf8', timeout: 30_000 }));
  const b = JSON.parse(printed.get(key));
  if (zone) b.node.locality = { ...b.node.locality, zone };
  b.node.metadata = { ...b.node.metadata, ...metadata };
  return b;
}
