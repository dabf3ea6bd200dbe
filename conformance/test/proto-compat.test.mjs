// Wire-compatibility check: every message, enum and service declared in the
// bridge's own protos/ must match the upstream Envoy / googleapis definitions
// shipped inside @grpc/grpc-js-xds (same full name, same file path, same field
// names / numbers / types / labels / oneof membership, same enum numbers, same
// RPC shapes). Our files are allowed to be a subset of upstream, never different.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const OUR_ROOT = path.resolve(here, '../../protos');
const DEPS = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')) + '/deps';
const UPSTREAM_DIRS = ['envoy-api', 'googleapis', 'xds', 'protoc-gen-validate'].map((d) => path.join(DEPS, d));

// Upstream files import google/protobuf/descriptor.proto (for annotations); protobufjs
// only bundles the core well-known types, so register descriptor like proto-loader does.
protobuf.common('descriptor', require('protobufjs/google/protobuf/descriptor.json').nested.google.nested.protobuf.nested);

const LOAD_OPTIONS = { keepCase: true, alternateCommentMode: false };

function listProtos(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listProtos(full));
    else if (entry.name.endsWith('.proto')) out.push(full);
  }
  return out.sort();
}

function rootWithIncludes(includeDirs) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target) && fs.existsSync(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`cannot resolve import "${target}" (from ${origin || '<root>'})`);
  };
  return root;
}

// Path of a loaded file relative to whichever include dir it came from.
function relativeTo(includeDirs, filename) {
  if (!filename) return undefined;
  if (!path.isAbsolute(filename)) return filename; // bundled well-known type
  for (const dir of includeDirs) {
    const rel = path.relative(dir, filename);
    if (!rel.startsWith('..')) return rel.split(path.sep).join('/');
  }
  return filename;
}

const ourFiles = listProtos(OUR_ROOT);
const ourRelFiles = ourFiles.map((f) => relativeTo([OUR_ROOT], f));

function loadOurs() {
  return rootWithIncludes([OUR_ROOT]).loadSync(ourFiles, LOAD_OPTIONS).resolveAll();
}

function loadUpstream() {
  const files = ourRelFiles.map((rel) => {
    const dir = UPSTREAM_DIRS.find((d) => fs.existsSync(path.join(d, rel)));
    return dir ? path.join(dir, rel) : null;
  });
  return {
    missing: ourRelFiles.filter((_, i) => files[i] === null),
    root: rootWithIncludes(UPSTREAM_DIRS).loadSync(files.filter(Boolean), LOAD_OPTIONS).resolveAll(),
  };
}

// Every Type / Enum / Service declared in one of our files (not the bundled google.protobuf ones).
function declaredIn(root, relFiles) {
  const wanted = new Set(relFiles);
  const out = [];
  const walk = (ns) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type || obj instanceof protobuf.Enum || obj instanceof protobuf.Service) {
        if (wanted.has(relativeTo([OUR_ROOT], obj.filename))) out.push(obj);
      }
      if (obj instanceof protobuf.Namespace) walk(obj);
    }
  };
  walk(root);
  return out;
}

const kindOf = (obj) =>
  obj instanceof protobuf.Type ? 'message' : obj instanceof protobuf.Enum ? 'enum' : obj instanceof protobuf.Service ? 'service' : 'other';

function fieldTypeName(field) {
  return field.resolvedType ? field.resolvedType.fullName : field.type;
}

function describeField(f) {
  return {
    id: f.id,
    type: fieldTypeName(f),
    keyType: f.map ? f.keyType : undefined,
    map: Boolean(f.map),
    repeated: Boolean(f.repeated),
    packed: f.repeated ? Boolean(f.packed) : undefined,
    oneof: f.partOf ? f.partOf.name : undefined,
  };
}

// Returns a list of human-readable incompatibilities; empty means compatible.
function compare(ourRoot, upstreamRoot) {
  const problems = [];
  const declared = declaredIn(ourRoot, ourRelFiles);
  for (const ours of declared) {
    const name = ours.fullName;
    const up = upstreamRoot.lookup(name);
    if (!up) {
      problems.push(`${name}: not defined upstream`);
      continue;
    }
    if (kindOf(up) !== kindOf(ours) || up.fullName !== name) {
      problems.push(`${name}: is a ${kindOf(ours)} here but ${kindOf(up)} ${up.fullName} upstream`);
      continue;
    }
    const ourFile = relativeTo([OUR_ROOT], ours.filename);
    const upFile = relativeTo(UPSTREAM_DIRS, up.filename);
    if (ourFile !== upFile) problems.push(`${name}: declared in ${ourFile}, upstream in ${upFile}`);

    if (ours instanceof protobuf.Type) {
      for (const f of ours.fieldsArray) {
        const uf = up.fields[f.name];
        if (!uf) {
          problems.push(`${name}.${f.name}: no such field upstream`);
          continue;
        }
        const a = describeField(f);
        const b = describeField(uf);
        for (const key of Object.keys(a)) {
          if (a[key] !== b[key]) problems.push(`${name}.${f.name}: ${key} is ${a[key]} here, ${b[key]} upstream`);
        }
      }
      for (const o of ours.oneofsArray) {
        if (!up.oneofs || !up.oneofs[o.name]) problems.push(`${name}: oneof ${o.name} not present upstream`);
      }
    } else if (ours instanceof protobuf.Enum) {
      if (!Object.values(ours.values).includes(0)) problems.push(`${name}: has no zero value`);
      for (const [vname, num] of Object.entries(ours.values)) {
        if (!(vname in up.values)) problems.push(`${name}.${vname}: no such enum value upstream`);
        else if (up.values[vname] !== num) problems.push(`${name}.${vname}: = ${num} here, ${up.values[vname]} upstream`);
      }
    } else if (ours instanceof protobuf.Service) {
      for (const m of ours.methodsArray) {
        const um = up.methods[m.name];
        if (!um) {
          problems.push(`${name}.${m.name}: no such rpc upstream`);
          continue;
        }
        const shape = (x) => ({
          request: x.resolvedRequestType.fullName,
          response: x.resolvedResponseType.fullName,
          requestStream: Boolean(x.requestStream),
          responseStream: Boolean(x.responseStream),
        });
        const a = shape(m);
        const b = shape(um);
        for (const key of Object.keys(a)) {
          if (a[key] !== b[key]) problems.push(`${name}.${m.name}: ${key} is ${a[key]} here, ${b[key]} upstream`);
        }
      }
    }
  }
  return { problems, checked: declared };
}

// Builds a value for every field (one member per oneof) so encode/decode exercises the whole schema.
function sampleMessage(type, depth) {
  const obj = {};
  const usedOneofs = new Set();
  for (const f of type.fieldsArray) {
    if (f.partOf) {
      if (usedOneofs.has(f.partOf.name)) continue;
    }
    const v = sampleValue(f, f.resolvedType, f.type, depth);
    if (v === undefined) continue;
    if (f.partOf) usedOneofs.add(f.partOf.name);
    if (f.map) obj[f.name] = { k1: v, k2: v };
    else if (f.repeated) obj[f.name] = [v, v];
    else obj[f.name] = v;
  }
  return obj;
}

function sampleValue(field, resolved, scalar, depth) {
  if (resolved instanceof protobuf.Enum) {
    const nums = Object.values(resolved.values);
    return Math.max(...nums);
  }
  if (resolved instanceof protobuf.Type) {
    if (depth >= 4) return undefined;
    if (resolved.fullName === '.google.protobuf.Any') {
      return { type_url: 'type.googleapis.com/google.protobuf.Duration', value: Buffer.from([0x08, 0x05]) };
    }
    return sampleMessage(resolved, depth + 1);
  }
  switch (scalar) {
    case 'string': return `${field.name}-value`;
    case 'bytes': return Buffer.from([1, 2, 3]);
    case 'bool': return true;
    case 'double': case 'float': return 1.5;
    default: return field.id + 300; // every integer kind; > 127 so varints span two bytes
  }
}

test('every proto file of ours exists upstream at the same path', () => {
  const { missing } = loadUpstream();
  assert.deepEqual(missing, [], `files with no upstream counterpart: ${missing.join(', ')}`);
});

test('our protos are a wire-identical subset of upstream Envoy / googleapis', () => {
  const ours = loadOurs();
  const { root: upstream } = loadUpstream();
  const { problems, checked } = compare(ours, upstream);
  assert.ok(checked.length > 50, `only ${checked.length} types found in ${OUR_ROOT}; loader broken?`);
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  const counts = { message: 0, enum: 0, service: 0 };
  for (const obj of checked) counts[kindOf(obj)]++;
  console.log(`checked ${ourFiles.length} files: ${counts.message} messages, ${counts.enum} enums, ${counts.service} services`);
});

test('bytes encoded with our schema decode and re-encode identically with upstream', () => {
  const ours = loadOurs();
  const { root: upstream } = loadUpstream();
  const toObj = { longs: String, enums: Number, bytes: String, defaults: false, arrays: false, objects: false, oneofs: false };
  let n = 0;
  for (const t of declaredIn(ours, ourRelFiles)) {
    if (!(t instanceof protobuf.Type)) continue;
    const U = upstream.lookupType(t.fullName);
    const sample = t.fromObject(sampleMessage(t, 0));
    const bytes = t.encode(sample).finish();
    const decoded = U.decode(bytes);
    assert.deepEqual(U.toObject(decoded, toObj), t.toObject(t.decode(bytes), toObj), `${t.fullName}: decoded content differs`);
    assert.deepEqual(Buffer.from(U.encode(decoded).finish()), Buffer.from(bytes), `${t.fullName}: re-encoding differs`);
    n++;
  }
  assert.ok(n > 50);
});

test('the checker itself notices a changed field number, type, oneof and enum value', () => {
  const { root: upstream } = loadUpstream();
  const mutations = [
    [(r) => { r.lookupType('envoy.config.cluster.v3.Cluster').fields.connect_timeout.id = 5; }, /connect_timeout: id is 5 here, 4 upstream/],
    [(r) => { r.lookupType('envoy.service.discovery.v3.DiscoveryRequest').fields.version_info.type = 'bytes'; }, /version_info: type is bytes here, string upstream/],
    [(r) => { const f = r.lookupType('envoy.config.core.v3.Node').fields.user_agent_version; f.partOf.remove(f); }, /user_agent_version: oneof is undefined here, user_agent_version_type upstream/],
    [(r) => { r.lookupEnum('envoy.config.core.v3.HealthStatus').values.DRAINING = 7; }, /HealthStatus.DRAINING: = 7 here, 3 upstream/],
  ];
  for (const [mutate, expected] of mutations) {
    const ours = loadOurs();
    mutate(ours);
    ours.resolveAll();
    const { problems } = compare(ours, upstream);
    assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join('\n')}`);
  }
});
