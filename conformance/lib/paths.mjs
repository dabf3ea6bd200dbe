// Where the built binaries and the upstream protos live. The suite never builds: scripts/test (or you)
// runs `dotnet build bridge.sln -c Release` first, and BRIDGE_CONFIGURATION picks another configuration.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export const repoRoot = path.resolve(here, '../..');
export const configuration = process.env.BRIDGE_CONFIGURATION || 'Release';

function built(project, dll) {
  const file = path.join(repoRoot, project, 'bin', configuration, 'net10.0', dll);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist. Build first: dotnet build bridge.sln -c ${configuration} ` +
      '(the conformance suite runs the built binaries and never builds them itself)');
  }
  return file;
}

export const daemonDll = () => built('Bridge.Daemon', 'consul-xds-bridge.dll');
export const devAgentDll = () => built('Bridge.DevAgent', 'Bridge.DevAgent.dll');
export const loadTestDll = () => built('Bridge.LoadTest', 'Bridge.LoadTest.dll');

// The upstream Envoy API as shipped inside @grpc/grpc-js-xds: the reference the bridge is checked against,
// deliberately not the bridge's own protos/.
const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
export const upstreamProtoDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d));
