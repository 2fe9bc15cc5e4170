/**
 * Guard: the outbound layer is the only way core reaches the network. Outside `src/outbound/`,
 * no source file may call the global `fetch`, import an HTTP or socket module, or let
 * oauth4webapi fall back to the global `fetch` (it does when no `customFetch` is given).
 *
 * Test files and test data are not scanned: tests start loopback servers of their own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/**
 * Known offenders (paths under src/), waiting to be rewired onto `createOutbound`. Remove an
 * entry when its file is rewired; a stale entry fails the test too, so this list only shrinks.
 * `connections/provider-requests.ts` (global fetch) and `oauth/oauth-client.ts` (no customFetch)
 * were its entries until both were rewired.
 */
const PENDING_REWIRE: readonly string[] = [];

/** Network modules core may not import outside the outbound folder. */
const NETWORK_MODULES = new Set(['http', 'https', 'http2', 'tls', 'dgram', 'undici', 'axios', 'got', 'node-fetch', 'ky', 'superagent']);
/** What may be imported from `node:net`: address helpers, nothing that opens a socket. */
const NET_ALLOWED = new Set(['isIP', 'isIPv4', 'isIPv6', 'BlockList', 'SocketAddress', 'type']);
/** The oauth4webapi functions that send a request. */
const OAUTH_REQUEST = /\boauth\.(\w+Request|discoveryRequest)\s*\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testdata' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) && !/\.test\.\w+$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Drops block comments and comment lines (TSDoc examples may show `fetch(`), keeping line numbers. */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? '' : line))
    .join('\n');
}

/** Blanks the contents of one-line '…' and "…" strings, so an error message saying "fetch" is no call. */
function withoutStrings(text: string): string {
  return text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (s) => `${s[0]}${' '.repeat(s.length - 2)}${s[0]}`);
}

interface Offence {
  file: string;
  line: number;
  what: string;
}

function moduleName(specifier: string): string {
  return specifier.replace(/^node:/, '').split('/')[0]!;
}

/** Every way `file` reaches the network around the outbound layer. */
function offencesIn(file: string, text: string): Offence[] {
  const found: Offence[] = [];
  const code = withoutComments(text);
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  const imports = /\b(?:import|export)\s+([\s\S]*?)\s+from\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(imports)) {
    const specifier = m[2] ?? m[3] ?? m[4] ?? m[5]!;
    const name = moduleName(specifier);
    if (NETWORK_MODULES.has(name)) found.push({ file, line: lineOf(m.index), what: `imports ${specifier}` });
    if (name === 'net') {
      const clause = m[1] ?? '*';
      const named = /^(?:type\s+)?\{([^}]*)\}$/.exec(clause.trim());
      const names = named ? named[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!.replace(/^type\s+/, '').trim()).filter(Boolean) : ['*'];
      const typeOnly = /^type\s+\{/.test(clause.trim());
      const bad = typeOnly ? [] : names.filter((n) => !NET_ALLOWED.has(n));
      if (bad.length > 0) found.push({ file, line: lineOf(m.index), what: `imports ${bad.join(', ')} from ${specifier}` });
    }
  }
  const bare = withoutStrings(code);
  // A type (`typeof fetch`) is no call; a value `fetch` anywhere else is the global one.
  for (const m of bare.matchAll(/(?<![\w$.]|\btypeof\s+)fetch\b(?!\s*[:?]\s*[^,;)}\s])|\b(?:globalThis|global|window|self)\s*\.\s*fetch\b/g)) {
    found.push({ file, line: lineOf(m.index), what: 'uses the global fetch' });
  }
  return found;
}

function scan(): { offences: Offence[]; oauthCallers: string[] } {
  const offences: Offence[] = [];
  const oauthCallers: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path).split(sep).join('/');
    if (file.startsWith('outbound/')) continue;
    const text = readFileSync(path, 'utf8');
    offences.push(...offencesIn(file, text));
    const code = withoutComments(text);
    if (OAUTH_REQUEST.test(code)) {
      oauthCallers.push(file);
      // oauth4webapi uses the global fetch unless told otherwise: the options must come from
      // endpointsFor (which sets customFetch) or name customFetch here.
      if (!/\bendpointsFor\s*\(/.test(code) && !/\bcustomFetch\b/.test(code)) {
        offences.push({ file, line: code.slice(0, OAUTH_REQUEST.exec(code)!.index).split('\n').length, what: 'calls oauth4webapi without customFetch or endpointsFor' });
      }
    }
  }
  const oauthClient = readFileSync(join(SRC, 'oauth', 'oauth-client.ts'), 'utf8');
  if (!/\bcustomFetch\b/.test(withoutComments(oauthClient))) {
    offences.push({ file: 'oauth/oauth-client.ts', line: 1, what: 'endpointsFor gives oauth4webapi no customFetch, so it falls back to the global fetch' });
  }
  return { offences, oauthCallers };
}

const describeOffence = (o: Offence) => `${o.file}:${o.line} ${o.what}`;

describe('no network access outside src/outbound', () => {
  const { offences, oauthCallers } = scan();
  const pending = new Set(PENDING_REWIRE);

  it('finds no offender other than the ones waiting to be rewired', () => {
    const unexpected = offences.filter((o) => !pending.has(o.file)).map(describeOffence);
    expect(unexpected, 'use createOutbound (packages/core/src/outbound/http.ts) instead').toEqual([]);
  });

  it('lists as pending only files that still offend (empty the list as they are rewired)', () => {
    const stale = [...pending].filter((file) => !offences.some((o) => o.file === file));
    expect(stale, 'rewired: remove from PENDING_REWIRE').toEqual([]);
  });

  it('sees the oauth4webapi callers (the scan is not blind)', () => {
    expect(oauthCallers.length).toBeGreaterThan(0);
  });

  it('recognises each kind of offence', () => {
    const sample = [
      "import { request } from 'node:http';",
      "import * as https from 'https';",
      "import { connect } from 'node:net';",
      "import net from 'node:net';",
      "import { Agent } from 'undici';",
      "const u = await import('undici');",
      'const res = await fetch(url);',
      'const res = await globalThis.fetch(url);',
      'const opts = { [oauth.customFetch]: fetch };',
      "import * as tls from 'node:tls';",
    ].join('\n');
    expect(offencesIn('sample.ts', sample).map((o) => o.line).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const fine = [
      "import { isIP, BlockList } from 'node:net';",
      "import type { Socket } from 'node:net';",
      'const res = await outbound.fetch(url);',
      "throw new Error('could not fetch the token');",
      '// fetch(url) in a comment',
      '/**',
      ' * await fetch(url) in TSDoc',
      ' */',
      'const f: typeof fetch = outbound.fetch as unknown as typeof fetch;',
      'const o = { fetch: outbound.fetch };',
      'function prefetch(x) {}',
    ].join('\n');
    expect(offencesIn('fine.ts', fine).map(describeOffence)).toEqual([]);
  });
});
