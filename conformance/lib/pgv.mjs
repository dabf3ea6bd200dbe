// protoc-gen-validate, as Envoy applies it to every resource it receives: the `(validate.rules)` field
// options, the `(validate.required)` oneof option and the `(validate.disabled)` / `(validate.ignored)` message
// options written into the upstream API protos, read from protobufjs reflection and checked against a decoded
// message, recursively. The meaning of each rule is PGV's (validate/validate.proto); this is our own reading
// of it. A rule kind this module does not implement is never skipped in silence: meeting one throws.
import net from 'node:net';
import protobuf from 'protobufjs';

const NUMERIC = ['float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64'];
const INTEGER = new Set(NUMERIC.filter((t) => t !== 'float' && t !== 'double'));
const WRAPPER = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
const DURATION = '.google.protobuf.Duration';
const TIMESTAMP = '.google.protobuf.Timestamp';
const ANY = '.google.protobuf.Any';

/** Every rule this module checks, by kind: what the PGV proto defines, less the few noted below. */
export const IMPLEMENTED = {
  ...Object.fromEntries(NUMERIC.map((t) => [t, ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'ignore_empty']])),
  bool: ['const'],
  // Not implemented: email, uri, uri_ref (no upstream field we load uses them).
  string: ['const', 'len', 'min_len', 'max_len', 'len_bytes', 'min_bytes', 'max_bytes', 'pattern', 'prefix', 'suffix', 'contains',
    'not_contains', 'in', 'not_in', 'hostname', 'ip', 'ipv4', 'ipv6', 'address', 'uuid', 'well_known_regex', 'strict', 'ignore_empty'],
  // Not implemented: pattern (no upstream field we load uses it).
  bytes: ['const', 'len', 'min_len', 'max_len', 'prefix', 'suffix', 'contains', 'in', 'not_in', 'ip', 'ipv4', 'ipv6', 'ignore_empty'],
  enum: ['const', 'defined_only', 'in', 'not_in'],
  message: ['required', 'skip'],
  repeated: ['min_items', 'max_items', 'unique', 'items', 'ignore_empty'],
  map: ['min_pairs', 'max_pairs', 'no_sparse', 'keys', 'values', 'ignore_empty'],
  any: ['required', 'in', 'not_in'],
  duration: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'],
  timestamp: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'lt_now', 'gt_now', 'within'],
};

// PGV's well-known header patterns (HTTP_HEADER_NAME, HTTP_HEADER_VALUE per RFC 7230 when strict; otherwise
// only NUL, CR and LF are refused). `+-.` in the name class is a range, as in PGV's own pattern.
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const list = (v) => (v === undefined ? [] : [].concat(v));

function deepMerge(target, source) {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') deepMerge(target[k], v);
    else target[k] = v;
  }
  return target;
}

function option(reflected, name) {
  let found;
  for (const entry of reflected.parsedOptions ?? []) {
    if (name in entry) found = entry[name] && typeof entry[name] === 'object' ? deepMerge(found ?? {}, entry[name]) : entry[name];
  }
  return found;
}

function isHostname(s) {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label));
}

/** Integers of any width as BigInt (protobufjs gives Long for 64-bit values), floats as Number. */
function numeric(kind, value) {
  if (!INTEGER.has(kind)) return Number(value);
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return BigInt(value.toString());
}

/** A Duration or Timestamp (message or option value) as nanoseconds. */
function nanos(d) {
  return BigInt((d?.seconds ?? 0).toString()) * 1_000_000_000n + BigInt(d?.nanos ?? 0);
}

function show(value) {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return String(value);
}

const durationText = (ns) => `${Number(ns) / 1e9}s`;

/**
 * Compares `value` against PGV's range rules (gt/gte/lt/lte), including PGV's exclusive ranges (an upper bound
 * below the lower one means "outside"). Returns the rule broken, or null.
 */
function range(value, r, asBound) {
  const lower = r.gt !== undefined ? ['gt', asBound(r.gt)] : r.gte !== undefined ? ['gte', asBound(r.gte)] : null;
  const upper = r.lt !== undefined ? ['lt', asBound(r.lt)] : r.lte !== undefined ? ['lte', asBound(r.lte)] : null;
  const above = (b) => (b[0] === 'gt' ? value > b[1] : value >= b[1]);
  const below = (b) => (b[0] === 'lt' ? value < b[1] : value <= b[1]);
  if (lower && upper && upper[1] < lower[1]) {
    return above(lower) || below(upper) ? null : `${lower[0]}+${upper[0]}`;
  }
  if (lower && !above(lower)) return lower[0];
  if (upper && !below(upper)) return upper[0];
  return null;
}

/** A reader of one loaded protobufjs Root's PGV annotations; `validate` checks one decoded message. */
export class PgvValidator {
  constructor() {
    this.compiled = new Map();
  }

  /** A type's rules, read once: its fields as plain descriptors (protobufjs's reflection getters are slow). */
  compile(type) {
    let c = this.compiled.get(type);
    if (c) return c;
    const ignored = option(type, '(validate.disabled)') === true || option(type, '(validate.ignored)') === true;
    c = {
      name: type.fullName,
      ignored,
      requiredOneofs: type.oneofsArray.filter((o) => option(o, '(validate.required)') === true).map((o) => ({ name: o.name, fields: [...o.oneof] })),
      fields: type.fieldsArray.map((field) => {
        const rules = option(field, '(validate.rules)') ?? null;
        if (rules) checkImplemented(rules, `${type.fullName.slice(1)}.${field.name}`);
        const resolved = field.resolvedType;
        return {
          name: field.name,
          oneof: field.partOf?.name ?? null,
          map: field.map,
          repeated: field.repeated,
          keyType: field.keyType,
          scalar: field.type,
          message: resolved instanceof protobuf.Type ? resolved : null,
          messageName: resolved instanceof protobuf.Type ? resolved.fullName : null,
          enumType: resolved instanceof protobuf.Enum ? resolved : null,
          rules,
        };
      }),
    };
    this.compiled.set(type, c);
    return c;
  }

  /**
   * Validates `message` (decoded by protobufjs, not plain) of `type`. Every broken rule becomes
   * { path, rule, detail } in `out`. `visit(typeName, message, path)` is called for every message reached, Any
   * payloads excepted: `onAny(any, path)` gets those (Envoy validates a typed config once it unpacks it).
   */
  validate(type, message, path, out, hooks = {}) {
    const c = this.compile(type);
    hooks.visit?.(c.name, message, path);
    if (c.ignored) return;
    for (const oneof of c.requiredOneofs) {
      if (!message[oneof.name]) out.push({ path, rule: 'oneof.required', detail: `one of ${oneof.fields.join(', ')} must be set` });
    }
    for (const field of c.fields) {
      if (field.oneof && message[field.oneof] !== field.name) continue;
      const value = message[field.name];
      const rules = field.rules;
      if (field.map) {
        if (rules || (field.message && value && Object.keys(value).length)) this.checkMap(field, value ?? {}, rules, `${path}.${field.name}`, out, hooks);
      } else if (field.repeated) {
        if (rules || (field.message && value?.length)) this.checkRepeated(field, value ?? [], rules, `${path}.${field.name}`, out, hooks);
      } else if (rules || (field.message && value != null)) {
        this.checkValue(field, value, rules, `${path}.${field.name}`, out, hooks, '');
      }
    }
  }

  checkRepeated(field, items, rules, at, out, hooks) {
    const r = rules?.repeated;
    if (r && !(r.ignore_empty && items.length === 0)) {
      if (r.min_items !== undefined && items.length < r.min_items) out.push({ path: at, rule: 'repeated.min_items', detail: `${items.length} items, at least ${r.min_items} required` });
      if (r.max_items !== undefined && items.length > r.max_items) out.push({ path: at, rule: 'repeated.max_items', detail: `${items.length} items, at most ${r.max_items} allowed` });
      if (r.unique) {
        const seen = new Set();
        for (const item of items) {
          const key = item instanceof Uint8Array ? Buffer.from(item).toString('hex') : String(item);
          if (seen.has(key)) out.push({ path: at, rule: 'repeated.unique', detail: `${show(item)} appears more than once` });
          seen.add(key);
        }
      }
    }
    items.forEach((item, i) => this.checkValue(field, item, r?.items ?? null, `${at}[${i}]`, out, hooks, 'repeated.items.'));
  }

  checkMap(field, map, rules, at, out, hooks) {
    const r = rules?.map;
    const entries = Object.entries(map);
    if (r && !(r.ignore_empty && entries.length === 0)) {
      if (r.min_pairs !== undefined && entries.length < r.min_pairs) out.push({ path: at, rule: 'map.min_pairs', detail: `${entries.length} pairs, at least ${r.min_pairs} required` });
      if (r.max_pairs !== undefined && entries.length > r.max_pairs) out.push({ path: at, rule: 'map.max_pairs', detail: `${entries.length} pairs, at most ${r.max_pairs} allowed` });
    }
    const keyField = { scalar: field.keyType, message: null, enumType: null, name: 'key' };
    for (const [key, value] of entries) {
      const keyValue = field.keyType === 'bool' ? key === 'true' : INTEGER.has(field.keyType) ? BigInt(key) : key;
      if (r?.keys) this.checkValue(keyField, keyValue, r.keys, `${at}[${JSON.stringify(key)}](key)`, out, hooks, 'map.keys.');
      if (r?.no_sparse && value == null) out.push({ path: `${at}[${JSON.stringify(key)}]`, rule: 'map.no_sparse', detail: 'a map value must be set' });
      this.checkValue(field, value, r?.values ?? null, `${at}[${JSON.stringify(key)}]`, out, hooks, 'map.values.');
    }
  }

  /** One singular value: a field (set, if in a oneof), a list item, a map key or value. */
  checkValue(field, value, rules, at, out, hooks, prefix) {
    const type = field.message;
    const fail = (rule, detail) => out.push({ path: at, rule: prefix + rule, detail });
    if (type) {
      const present = value !== null && value !== undefined;
      const name = field.messageName;
      if (name === DURATION || name === TIMESTAMP) {
        const kind = name === DURATION ? 'duration' : 'timestamp';
        const r = rules?.[kind];
        if (r?.required && !present) fail(`${kind}.required`, 'must be set');
        if (present) hooks.visit?.(name, value, at);
        if (!r || !present) return;
        this.checkTime(kind, nanos(value), r, fail);
        return;
      }
      if (name === ANY) {
        const r = rules?.any;
        if (r?.required && !present) fail('any.required', 'must be set');
        if (!present) return;
        if (r?.in !== undefined && !list(r.in).includes(value.type_url)) fail('any.in', `type ${value.type_url} is not one of ${list(r.in).join(', ')}`);
        if (r?.not_in !== undefined && list(r.not_in).includes(value.type_url)) fail('any.not_in', `type ${value.type_url} is not allowed`);
        hooks.onAny?.(value, at);
        return;
      }
      if (WRAPPER[name]) {
        if (rules?.message?.required && !present) fail('message.required', 'must be set');
        if (present) this.checkScalar(WRAPPER[name], value.value, rules, fail);
        return;
      }
      if (rules?.message?.required && !present) fail('message.required', 'must be set');
      if (present && !rules?.message?.skip) this.validate(type, value, at, out, hooks);
      return;
    }
    if (field.enumType) {
      this.checkEnum(field.enumType, value, rules?.enum, fail);
      return;
    }
    this.checkScalar(field.scalar, value, rules, fail);
  }

  checkEnum(type, value, r, fail) {
    if (!r) return;
    const number = typeof value === 'string' ? type.values[value] : value;
    if (r.defined_only && !Object.values(type.values).includes(number)) fail('enum.defined_only', `${number} is not a value of ${type.fullName.slice(1)}`);
    if (r.const !== undefined && number !== r.const) fail('enum.const', `must be ${r.const}, is ${number}`);
    if (r.in !== undefined && !list(r.in).includes(number)) fail('enum.in', `${number} is not one of ${list(r.in).join(', ')}`);
    if (r.not_in !== undefined && list(r.not_in).includes(number)) fail('enum.not_in', `${number} is not allowed`);
  }

  checkScalar(kind, value, rules, fail) {
    const r = rules?.[kind];
    if (!r) return;
    if (kind === 'string') return this.checkString(value ?? '', r, fail);
    if (kind === 'bytes') return this.checkBytes(value ?? new Uint8Array(), r, fail);
    if (kind === 'bool') {
      if (r.const !== undefined && Boolean(value) !== r.const) fail('bool.const', `must be ${r.const}`);
      return undefined;
    }
    const v = numeric(kind, value ?? 0);
    if (r.ignore_empty && (INTEGER.has(kind) ? v === 0n : v === 0)) return undefined;
    const bound = (b) => numeric(kind, b);
    if (r.const !== undefined && v !== bound(r.const)) fail(`${kind}.const`, `must be ${show(bound(r.const))}, is ${show(v)}`);
    const broken = range(v, r, bound);
    if (broken) fail(`${kind}.${broken}`, `${show(v)} is out of range (${['gt', 'gte', 'lt', 'lte'].filter((k) => r[k] !== undefined).map((k) => `${k} ${r[k]}`).join(', ')})`);
    if (r.in !== undefined && !list(r.in).map(bound).includes(v)) fail(`${kind}.in`, `${show(v)} is not one of ${list(r.in).join(', ')}`);
    if (r.not_in !== undefined && list(r.not_in).map(bound).includes(v)) fail(`${kind}.not_in`, `${show(v)} is not allowed`);
    return undefined;
  }

  checkString(s, r, fail) {
    if (r.ignore_empty && s === '') return;
    const runes = [...s].length;
    const bytes = Buffer.byteLength(s, 'utf8');
    const f = (rule, detail) => fail(`string.${rule}`, `${show(s)}: ${detail}`);
    if (r.const !== undefined && s !== r.const) f('const', `must be ${JSON.stringify(r.const)}`);
    if (r.len !== undefined && runes !== Number(r.len)) f('len', `${runes} characters, must be ${r.len}`);
    if (r.min_len !== undefined && runes < Number(r.min_len)) f('min_len', `${runes} characters, at least ${r.min_len} required`);
    if (r.max_len !== undefined && runes > Number(r.max_len)) f('max_len', `${runes} characters, at most ${r.max_len} allowed`);
    if (r.len_bytes !== undefined && bytes !== Number(r.len_bytes)) f('len_bytes', `${bytes} bytes, must be ${r.len_bytes}`);
    if (r.min_bytes !== undefined && bytes < Number(r.min_bytes)) f('min_bytes', `${bytes} bytes, at least ${r.min_bytes} required`);
    if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) f('max_bytes', `${bytes} bytes, at most ${r.max_bytes} allowed`);
    if (r.pattern !== undefined && !new RegExp(r.pattern, 'u').test(s)) f('pattern', `does not match ${r.pattern}`);
    if (r.prefix !== undefined && !s.startsWith(r.prefix)) f('prefix', `must start with ${JSON.stringify(r.prefix)}`);
    if (r.suffix !== undefined && !s.endsWith(r.suffix)) f('suffix', `must end with ${JSON.stringify(r.suffix)}`);
    if (r.contains !== undefined && !s.includes(r.contains)) f('contains', `must contain ${JSON.stringify(r.contains)}`);
    if (r.not_contains !== undefined && s.includes(r.not_contains)) f('not_contains', `must not contain ${JSON.stringify(r.not_contains)}`);
    if (r.in !== undefined && !list(r.in).includes(s)) f('in', `is not one of ${list(r.in).join(', ')}`);
    if (r.not_in !== undefined && list(r.not_in).includes(s)) f('not_in', 'is not allowed');
    if (r.hostname && !isHostname(s)) f('hostname', 'is not a host name');
    if (r.ip && net.isIP(s) === 0) f('ip', 'is not an IP address');
    if (r.ipv4 && !net.isIPv4(s)) f('ipv4', 'is not an IPv4 address');
    if (r.ipv6 && !net.isIPv6(s)) f('ipv6', 'is not an IPv6 address');
    if (r.address && net.isIP(s) === 0 && !isHostname(s)) f('address', 'is neither an IP address nor a host name');
    if (r.uuid && !UUID.test(s)) f('uuid', 'is not a UUID');
    if (r.well_known_regex !== undefined) {
      const strict = r.strict !== false;
      const which = r.well_known_regex;
      const pattern = !strict ? HEADER_LOOSE : which === 'HTTP_HEADER_NAME' || which === 1 ? HEADER_NAME : which === 'HTTP_HEADER_VALUE' || which === 2 ? HEADER_VALUE : null;
      if (pattern && !pattern.test(s)) f('well_known_regex', `is not a valid ${which}${strict ? '' : ' (loose)'}: it holds a forbidden character`);
    }
  }

  checkBytes(b, r, fail) {
    const buf = Buffer.from(b);
    if (r.ignore_empty && buf.length === 0) return;
    const f = (rule, detail) => fail(`bytes.${rule}`, `${buf.length} bytes: ${detail}`);
    const asBuf = (v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v));
    if (r.const !== undefined && !buf.equals(asBuf(r.const))) f('const', 'differs from the required value');
    if (r.len !== undefined && buf.length !== Number(r.len)) f('len', `must be ${r.len} bytes`);
    if (r.min_len !== undefined && buf.length < Number(r.min_len)) f('min_len', `at least ${r.min_len} required`);
    if (r.max_len !== undefined && buf.length > Number(r.max_len)) f('max_len', `at most ${r.max_len} allowed`);
    if (r.prefix !== undefined && !buf.subarray(0, asBuf(r.prefix).length).equals(asBuf(r.prefix))) f('prefix', 'wrong prefix');
    if (r.suffix !== undefined && !buf.subarray(buf.length - asBuf(r.suffix).length).equals(asBuf(r.suffix))) f('suffix', 'wrong suffix');
    if (r.contains !== undefined && buf.indexOf(asBuf(r.contains)) < 0) f('contains', 'does not contain the required bytes');
    if (r.in !== undefined && !list(r.in).some((v) => buf.equals(asBuf(v)))) f('in', 'is not one of the allowed values');
    if (r.not_in !== undefined && list(r.not_in).some((v) => buf.equals(asBuf(v)))) f('not_in', 'is not allowed');
    if (r.ip && buf.length !== 4 && buf.length !== 16) f('ip', 'is not an IP address');
    if (r.ipv4 && buf.length !== 4) f('ipv4', 'is not an IPv4 address');
    if (r.ipv6 && buf.length !== 16) f('ipv6', 'is not an IPv6 address');
  }

  checkTime(kind, ns, r, fail) {
    const text = kind === 'duration' ? durationText : (n) => new Date(Number(n / 1_000_000n)).toISOString();
    if (r.const !== undefined && ns !== nanos(r.const)) fail(`${kind}.const`, `must be ${text(nanos(r.const))}, is ${text(ns)}`);
    const broken = range(ns, r, nanos);
    if (broken) fail(`${kind}.${broken}`, `${text(ns)} is out of range (${['gt', 'gte', 'lt', 'lte'].filter((k) => r[k] !== undefined).map((k) => `${k} ${text(nanos(r[k]))}`).join(', ')})`);
    if (r.in !== undefined && !list(r.in).map(nanos).includes(ns)) fail(`${kind}.in`, `${text(ns)} is not one of the allowed values`);
    if (r.not_in !== undefined && list(r.not_in).map(nanos).includes(ns)) fail(`${kind}.not_in`, `${text(ns)} is not allowed`);
    if (kind === 'timestamp') {
      const now = BigInt(Date.now()) * 1_000_000n;
      if (r.lt_now && !(ns < now)) fail('timestamp.lt_now', `${text(ns)} is not in the past`);
      if (r.gt_now && !(ns > now)) fail('timestamp.gt_now', `${text(ns)} is not in the future`);
      if (r.within !== undefined) {
        const d = ns - now;
        if ((d < 0n ? -d : d) > nanos(r.within)) fail('timestamp.within', `${text(ns)} is not within ${durationText(nanos(r.within))} of now`);
      }
    }
  }
}

/** Throws if `rules` (a FieldRules) uses a rule this module does not check. */
function checkImplemented(rules, where, prefix = '') {
  for (const [kind, r] of Object.entries(rules)) {
    const known = IMPLEMENTED[kind];
    if (!known) throw new Error(`validate.rules ${prefix}${kind} on ${where} is not implemented by the validator`);
    for (const rule of Object.keys(r ?? {})) {
      if (!known.includes(rule)) throw new Error(`validate.rules ${prefix}${kind}.${rule} on ${where} is not implemented by the validator`);
    }
    if (kind === 'repeated' && r.items) checkImplemented(r.items, where, `${prefix}repeated.items.`);
    if (kind === 'map' && r.keys) checkImplemented(r.keys, where, `${prefix}map.keys.`);
    if (kind === 'map' && r.values) checkImplemented(r.values, where, `${prefix}map.values.`);
  }
}
