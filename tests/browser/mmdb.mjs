// Writes a small IPv4 MaxMind-format city database (MMDB 2.0: a binary search tree with
// 24-bit records, a data section, the metadata map), so that alerts posted by the browser
// tests get countries and locations as they do in production with GeoLite2-City.
import { writeFileSync } from 'node:fs';

function control(type, size) {
  const head = size < 29 ? [size] : size < 285 ? [29, size - 29] : [30, (size - 285) >> 8, (size - 285) & 255];
  if (type <= 7) return [(type << 5) | head[0], ...head.slice(1)];
  return [head[0], type - 7, ...head.slice(1)];
}

function minimal(bytes) {
  const first = bytes.findIndex((b) => b !== 0);
  return first === -1 ? [] : bytes.slice(first);
}

/** A value written as an IEEE 754 double even when it is a whole number. */
class Double {
  constructor(value) {
    this.value = value;
  }
}

/** An unsigned integer of MMDB type 5 (16 bits), 6 (32 bits) or 9 (64 bits). */
class Uint {
  constructor(type, value) {
    this.type = type;
    this.value = value;
  }
}
const u16 = (value) => new Uint(5, value);
const u32 = (value) => new Uint(6, value);
const u64 = (value) => new Uint(9, value);

function encode(value) {
  if (typeof value === 'string') {
    const text = [...Buffer.from(value, 'utf8')];
    return [...control(2, text.length), ...text];
  }
  if (value instanceof Double) {
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleBE(value.value);
    return [...control(3, 8), ...buffer];
  }
  if (value instanceof Uint) {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64BE(BigInt(value.value));
    const bytes = minimal([...buffer]);
    return [...control(value.type, bytes.length), ...bytes];
  }
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap(encode)];
  const entries = Object.entries(value);
  return [...control(7, entries.length), ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])];
}

/**
 * Writes `path`: `entries` are `{ network: 'a.b.c.d/len', code, name, latitude, longitude }`.
 */
export function writeCityDb(path, entries) {
  const nodes = [[null, null]];
  const data = [];
  const offsets = [];
  entries.forEach((entry, index) => {
    offsets.push(data.length);
    data.push(
      ...encode({
        country: { iso_code: entry.code, names: { en: entry.name } },
        location: { latitude: new Double(entry.latitude), longitude: new Double(entry.longitude) },
      }),
    );
    const [address, length] = entry.network.split('/');
    const key = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    let node = 0;
    for (let depth = 0; depth < Number(length); depth += 1) {
      const bit = Math.floor(key / 2 ** (31 - depth)) % 2;
      if (depth + 1 === Number(length)) {
        nodes[node][bit] = { data: index };
        break;
      }
      if (!nodes[node][bit]?.node) {
        nodes.push([null, null]);
        nodes[node][bit] = { node: nodes.length - 1 };
      }
      node = nodes[node][bit].node;
    }
  });
  const record = (slot) =>
    slot === null ? nodes.length : 'node' in slot ? slot.node : nodes.length + 16 + offsets[slot.data];
  const tree = nodes.flatMap((pair) =>
    pair.flatMap((slot) => {
      const value = record(slot);
      return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
    }),
  );
  const metadata = encode({
    binary_format_major_version: u16(2),
    binary_format_minor_version: u16(0),
    build_epoch: u64(1_700_000_000),
    database_type: 'GeoLite2-City',
    description: { en: 'peba browser test database' },
    ip_version: u16(4),
    languages: ['en'],
    node_count: u32(nodes.length),
    record_size: u16(24),
  });
  const marker = [...Buffer.from('\xAB\xCD\xEFMaxMind.com', 'latin1')];
  writeFileSync(path, Buffer.from([...tree, ...new Array(16).fill(0), ...data, ...marker, ...metadata]));
}
