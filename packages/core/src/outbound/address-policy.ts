/**
 * Which addresses Coffer may connect to: global unicast only, unless the operator allowlists a
 * host name or a range (`COFFER_OUTBOUND_ALLOW`).
 *
 * Pure policy: no sockets and no DNS. The outbound layer (`http.ts`) asks it twice per connection,
 * once for each resolved address and once for the address the socket actually connected to.
 */
import { BlockList, isIP } from 'node:net';
import { CofferError } from '../errors.js';

/**
 * The range an address falls in. `global` is the only one reachable without an allowlist entry;
 * every other value names why an address is refused (`details.range` of `OUTBOUND_BLOCKED`).
 */
export type AddressRange =
  | 'global'
  | 'cloud-metadata'
  | 'this-network'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared-address-space'
  | 'link-local'
  | 'ietf-protocol-assignments'
  | 'documentation'
  | 'benchmarking'
  | '6to4-relay'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'ipv4-compatible'
  | 'nat64'
  | 'discard-only'
  | 'teredo'
  | '6to4'
  | 'unique-local'
  | 'site-local'
  | 'not-global-unicast';

// First match wins, so the narrow ranges (metadata, Teredo) come before the ranges around them.
const IPV4_RANGES: ReadonlyArray<readonly [Exclude<AddressRange, 'global'>, string]> = [
  // AWS, GCP, Azure IMDS and OpenStack (169.254.169.254), Alibaba Cloud (100.100.100.200), and
  // Azure's WireServer (168.63.129.16), which is a public-looking address served by the host.
  ['cloud-metadata', '169.254.169.254/32'],
  ['cloud-metadata', '100.100.100.200/32'],
  ['cloud-metadata', '168.63.129.16/32'],
  ['this-network', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared-address-space', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['documentation', '192.0.2.0/24'],
  ['ietf-protocol-assignments', '192.0.0.0/24'],
  ['6to4-relay', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
];

const IPV6_RANGES: ReadonlyArray<readonly [Exclude<AddressRange, 'global'>, string]> = [
  ['cloud-metadata', 'fd00:ec2::254/128'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['ipv4-compatible', '::/96'],
  ['nat64', '64:ff9b::/96'],
  ['nat64', '64:ff9b:1::/48'],
  ['discard-only', '100::/64'],
  ['teredo', '2001::/32'],
  ['benchmarking', '2001:2::/48'],
  ['ietf-protocol-assignments', '2001::/23'],
  ['documentation', '2001:db8::/32'],
  ['documentation', '3fff::/20'],
  ['6to4', '2002::/16'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['site-local', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

type CompiledRange = readonly [Exclude<AddressRange, 'global'>, BlockList];

function compile(ranges: ReadonlyArray<readonly [Exclude<AddressRange, 'global'>, string]>, family: 'ipv4' | 'ipv6'): CompiledRange[] {
  return ranges.map(([range, cidr]) => {
    const [net, prefix] = cidr.split('/') as [string, string];
    const list = new BlockList();
    list.addSubnet(net, Number(prefix), family);
    return [range, list] as const;
  });
}

let compiled: { v4: CompiledRange[]; v6: CompiledRange[]; globalV6: BlockList; mapped: BlockList } | undefined;
function tables() {
  if (!compiled) {
    const globalV6 = new BlockList();
    globalV6.addSubnet('2000::', 3, 'ipv6');
    const mapped = new BlockList();
    mapped.addSubnet('::ffff:0:0', 96, 'ipv6');
    compiled = { v4: compile(IPV4_RANGES, 'ipv4'), v6: compile(IPV6_RANGES, 'ipv6'), globalV6, mapped };
  }
  return compiled;
}

/** Strips `[…]` and an IPv6 zone (`%eth0`). */
function bareAddress(address: string): string {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/** The 16 bytes of an IPv6 address (already known to be valid). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const bytes: number[] = [];
  // A dotted IPv4 tail (`::ffff:127.0.0.1`) becomes two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  let tail: number[] = [];
  if (dotted) {
    tail = dotted.slice(1).map(Number);
    text = text.slice(0, dotted.index);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const missing = 8 - tail.length / 2 - left.length - right.length;
  for (const g of [...left, ...Array<number>(rest === undefined ? 0 : missing).fill(0), ...right]) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tail];
}

/**
 * Classifies an IP address (v4 or v6, with or without brackets or zone). An IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`) is classified by the IPv4 address inside it. Anything that is not
 * an IP address at all is `not-global-unicast`.
 *
 * @example
 * classifyAddress('8.8.8.8')            // 'global'
 * classifyAddress('::ffff:10.0.0.1')    // 'private'
 * classifyAddress('169.254.169.254')    // 'cloud-metadata'
 */
export function classifyAddress(address: string): AddressRange {
  const bare = bareAddress(address);
  const family = isIP(bare);
  const t = tables();
  if (family === 4) {
    for (const [range, list] of t.v4) if (list.check(bare, 'ipv4')) return range;
    return 'global';
  }
  if (family === 6) {
    if (t.mapped.check(bare, 'ipv6')) return classifyAddress(ipv6Bytes(bare).slice(12).join('.'));
    for (const [range, list] of t.v6) if (list.check(bare, 'ipv6')) return range;
    return t.globalV6.check(bare, 'ipv6') ? 'global' : 'not-global-unicast';
  }
  return 'not-global-unicast';
}

/** One parsed `COFFER_OUTBOUND_ALLOW` entry. */
export type AllowEntry = { kind: 'name'; name: string } | { kind: 'cidr'; address: string; prefix: number; family: 4 | 6 };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A host name in canonical form: lower case, no trailing dot. */
export function canonicalHost(host: string): string {
  const bare = bareAddress(host).toLowerCase();
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/**
 * Parses one allowlist entry: a CIDR (`10.0.0.0/8`, `fd00::/8`), an IP address (`10.1.2.3`,
 * `::1`, `[::1]`) or a DNS host name (`erp.corp.example`, `localhost`). Returns `undefined` for
 * anything else (a URL, a port, a wildcard).
 */
export function parseAllowEntry(entry: string): AllowEntry | undefined {
  const text = entry.trim();
  const slash = text.indexOf('/');
  if (slash !== -1) {
    const address = bareAddress(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    const family = isIP(address);
    if (family === 0 || address.includes('%') || !/^\d{1,3}$/.test(prefixText)) return undefined;
    const prefix = Number(prefixText);
    if (prefix > (family === 4 ? 32 : 128)) return undefined;
    return { kind: 'cidr', address, prefix, family: family === 4 ? 4 : 6 };
  }
  const bare = bareAddress(text);
  const family = isIP(bare);
  if (family !== 0) return text.includes('%') ? undefined : { kind: 'cidr', address: bare, prefix: family === 4 ? 32 : 128, family: family === 4 ? 4 : 6 };
  const name = canonicalHost(text);
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  // An all-numeric last label would be read as an IPv4 address by the URL parser, never as a name.
  if (!labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) return undefined;
  return { kind: 'name', name };
}

/**
 * Parses a whole allowlist; a bad entry throws `CONFIG_INVALID` naming `source` (the variable
 * or option it came from) and the entry.
 */
export function parseAllowlist(entries: readonly string[], source = 'COFFER_OUTBOUND_ALLOW'): AllowEntry[] {
  return entries.map((entry) => {
    const parsed = parseAllowEntry(entry);
    if (!parsed) {
      throw new CofferError('CONFIG_INVALID', `${source}: "${entry}" is not a CIDR (10.0.0.0/8, fd00::/8), an IP address or a host name.`);
    }
    return parsed;
  });
}

/** The allowlist, compiled: who may be reached outside global unicast, and over plain http. */
export class OutboundPolicy {
  readonly #names: ReadonlySet<string>;
  readonly #ranges = new BlockList();
  readonly #hasRanges: boolean;

  constructor(allow: readonly string[] = []) {
    const entries = parseAllowlist(allow);
    this.#names = new Set(entries.flatMap((e) => (e.kind === 'name' ? [e.name] : [])));
    let hasRanges = false;
    for (const e of entries) {
      if (e.kind !== 'cidr') continue;
      this.#ranges.addSubnet(e.address, e.prefix, e.family === 4 ? 'ipv4' : 'ipv6');
      hasRanges = true;
    }
    this.#hasRanges = hasRanges;
  }

  /** Whether an address lies inside a listed range (an IPv4-mapped address also by its IPv4 form). */
  addressListed(address: string): boolean {
    if (!this.#hasRanges) return false;
    const bare = bareAddress(address);
    const family = isIP(bare);
    if (family === 0) return false;
    if (family === 4) return this.#ranges.check(bare, 'ipv4');
    if (this.#ranges.check(bare, 'ipv6')) return true;
    return tables().mapped.check(bare, 'ipv6') && this.#ranges.check(ipv6Bytes(bare).slice(12).join('.'), 'ipv4');
  }

  /**
   * Whether a URL host is allowlisted: its name is listed, or it is an IP literal inside a
   * listed range. Only allowlisted hosts may be reached over plain `http:`.
   */
  hostListed(hostname: string): boolean {
    const host = canonicalHost(hostname);
    return isIP(host) !== 0 ? this.addressListed(host) : this.#names.has(host);
  }

  /**
   * `null` when `hostname` may be reached at `address`, or the range that refuses it. A listed
   * name may connect anywhere it resolves to; any other name only to global unicast addresses
   * or to addresses inside a listed range.
   */
  refusal(hostname: string, address: string | undefined): Exclude<AddressRange, 'global'> | null {
    if (address === undefined || isIP(bareAddress(address)) === 0) return 'not-global-unicast';
    if (isIP(canonicalHost(hostname)) === 0 && this.#names.has(canonicalHost(hostname))) return null;
    if (this.addressListed(address)) return null;
    const range = classifyAddress(address);
    return range === 'global' ? null : range;
  }
}

/** What a refused request raises; the message names the host (never a path, query or credential). */
export function blockedError(hostname: string, reason: { address?: string; range?: AddressRange; protocol?: string }): CofferError {
  const host = canonicalHost(hostname);
  const why =
    reason.protocol !== undefined
      ? reason.protocol === 'http'
        ? 'plain http is only allowed to allowlisted hosts; use https'
        : `only https (and http to allowlisted hosts) is allowed, not ${reason.protocol}`
      : reason.address !== undefined && reason.address !== host
        ? `it resolves to ${reason.address} (${reason.range ?? 'not a public address'})`
        : `${host} is ${reason.range ?? 'not a public address'}`;
  const err = new CofferError(
    'OUTBOUND_BLOCKED',
    `Outbound request to "${host}" refused: ${why}. If this destination is intended, add the host or its range to COFFER_OUTBOUND_ALLOW.`,
    { host, ...(reason.address !== undefined ? { address: reason.address } : {}), ...(reason.range ? { range: reason.range } : {}), ...(reason.protocol ? { protocol: reason.protocol } : {}) },
  );
  return withCause(err, 'OUTBOUND_BLOCKED');
}

/**
 * Sets `err.cause` to `{ code }`, the shape callers that predate this layer look at
 * (`err.cause.code`: `ECONNREFUSED`, `ENOTFOUND`, `OUTBOUND_BLOCKED`, …).
 */
export function withCause<E extends Error>(err: E, code: string): E {
  Object.defineProperty(err, 'cause', { value: { code }, enumerable: false, writable: true, configurable: true });
  return err;
}
