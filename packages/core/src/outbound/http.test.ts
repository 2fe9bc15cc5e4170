/**
 * The outbound layer against real loopback servers: address checks (IP literals, names, the
 * connected socket), plain http, redirects, timeouts, body caps with bounded memory, and use as
 * oauth4webapi's customFetch. Only 127.0.0.1 is ever contacted; other names resolve through an
 * injected lookup.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type LookupFunction, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CofferError } from '../errors.js';
import { OutboundPolicy } from './address-policy.js';
import { buildConnector } from 'undici';
import { createOutbound, guardedConnector, type Outbound, type OutboundOptions } from './http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(server: Server | NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

/** An HTTP server on 127.0.0.1 that counts the requests it got. */
async function httpServer(handler: Handler): Promise<{ port: number; origin: string; requests: () => number }> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    handler(req, res);
  });
  const port = await listen(server);
  return { port, origin: `http://127.0.0.1:${port}`, requests: () => requests };
}

/** A raw TCP server that records connections and every byte it receives, and never answers. */
async function silentTcpServer(): Promise<{ port: number; connections: () => number; bytes: () => number; sockets: Socket[] }> {
  let connections = 0;
  let bytes = 0;
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    connections++;
    sockets.push(socket);
    socket.on('data', (d) => (bytes += d.length));
    socket.on('error', () => {});
  });
  const port = await listen(server);
  closers.push(async () => sockets.forEach((s) => s.destroy()));
  return { port, connections: () => connections, bytes: () => bytes, sockets };
}

/** A resolver that answers from a table and never touches DNS. */
function fakeLookup(table: Record<string, string[] | 'hang'>): LookupFunction {
  return (hostname, _options, callback) => {
    const answer = table[hostname];
    if (answer === 'hang') return;
    if (!answer) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return process.nextTick(() => callback(err, ''));
    }
    process.nextTick(() => callback(null, answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))));
  };
}

function outbound(options: OutboundOptions = {}): Outbound {
  const o = createOutbound(options);
  closers.push(() => o.close());
  return o;
}

async function failure(promise: Promise<unknown>): Promise<CofferError> {
  try {
    await promise;
  } catch (err) {
    return err as CofferError;
  }
  throw new Error('expected the request to fail');
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('destinations', () => {
  it('refuses loopback without an allowlist, and allows it with one', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const https = await failure(outbound().fetch(`https://127.0.0.1:${server.port}/`));
    expect(https).toBeInstanceOf(CofferError);
    expect(https.code).toBe('OUTBOUND_BLOCKED');
    expect(https.details).toMatchObject({ host: '127.0.0.1', range: 'loopback' });
    expect(https.message).toContain('COFFER_OUTBOUND_ALLOW');
    expect((https.cause as { code: string }).code).toBe('OUTBOUND_BLOCKED');
    for (const allow of [['127.0.0.1'], ['127.0.0.0/8']]) {
      const res = await outbound({ allow }).fetch(`${server.origin}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    }
    expect(server.requests()).toBe(2);
  });

  it('refuses a name that resolves to loopback (localhost) before connecting', async () => {
    const tcp = await silentTcpServer();
    const err = await failure(outbound().fetch(`https://localhost:${tcp.port}/`));
    expect(err.code).toBe('OUTBOUND_BLOCKED');
    expect(err.details).toMatchObject({ host: 'localhost', range: 'loopback' });
    await settle();
    expect(tcp.connections()).toBe(0);
  });

  it('refuses a provider host that resolves to 127.0.0.1, naming the host but no path, query or credential', async () => {
    const tcp = await silentTcpServer();
    const o = outbound({ lookup: fakeLookup({ 'attacker.example': ['127.0.0.1'] }) });
    const err = await failure(o.fetch(`https://attacker.example:${tcp.port}/oauth/token?client_secret=s3cr3t`, { headers: { authorization: 'Bearer t0k3n' } }));
    expect(err.code).toBe('OUTBOUND_BLOCKED');
    expect(err.details).toEqual({ host: 'attacker.example', address: '127.0.0.1', range: 'loopback' });
    expect(err.message).toContain('"attacker.example"');
    expect(err.message).not.toMatch(/s3cr3t|t0k3n|oauth\/token/);
    await settle();
    expect(tcp.connections()).toBe(0);
  });

  it.each([
    ['169.254.169.254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['[fd00:ec2::254]', 'cloud-metadata'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['[64:ff9b::7f00:1]', 'nat64'],
    ['[2002:7f00:1::1]', '6to4'],
    ['10.0.0.1', 'private'],
    ['0.0.0.0', 'this-network'],
    ['[::]', 'unspecified'],
    ['2130706433', 'loopback'],
  ])('refuses the IP literal %s (%s) without touching the network', async (host, range) => {
    const err = await failure(outbound().fetch(`https://${host}/latest/meta-data/`));
    expect(err.code).toBe('OUTBOUND_BLOCKED');
    expect(err.details).toMatchObject({ range });
  });

  it('checks the connected socket itself: with an unfiltered lookup, no byte reaches a loopback server', async () => {
    const tcp = await silentTcpServer();
    const rawLookup = fakeLookup({ 'rebound.example': ['127.0.0.1'] });
    const connect = guardedConnector(buildConnector, new OutboundPolicy(), rawLookup, 2000, undefined);
    for (const [hostname, protocol] of [
      ['rebound.example', 'https:'],
      ['rebound.example', 'http:'],
      ['127.0.0.1', 'https:'],
    ] as const) {
      const err = await new Promise<Error | null>((resolve) =>
        connect({ hostname, host: `${hostname}:${tcp.port}`, protocol, port: String(tcp.port), localAddress: null }, (e: Error | null, _socket: unknown) => resolve(e)),
      );
      expect(err).toMatchObject({ code: 'OUTBOUND_BLOCKED', details: { host: hostname, address: '127.0.0.1', range: 'loopback' } });
    }
    await settle();
    // TCP connected (that is how the address was learnt), but not even a TLS ClientHello was sent.
    expect(tcp.connections()).toBe(3);
    expect(tcp.bytes()).toBe(0);
  });

  it('refuses plain http to a host that is not allowlisted, even when its address is', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const o = outbound({ allow: ['127.0.0.1'], lookup: fakeLookup({ 'erp.corp.example': ['127.0.0.1'] }) });
    for (const url of [`http://localhost:${server.port}/`, `http://erp.corp.example:${server.port}/`, `http://93.184.216.34/`]) {
      const err = await failure(o.fetch(url));
      expect(err.code).toBe('OUTBOUND_BLOCKED');
      expect(err.details).toMatchObject({ protocol: 'http' });
      expect(err.message).toMatch(/plain http is only allowed to allowlisted hosts; use https\. .*COFFER_OUTBOUND_ALLOW/);
    }
    expect(o.allowsHttp(`http://erp.corp.example:${server.port}/`)).toBe(false);
    const byName = outbound({ allow: ['erp.corp.example'], lookup: fakeLookup({ 'erp.corp.example': ['127.0.0.1'] }) });
    expect(byName.allowsHttp(`http://erp.corp.example:${server.port}/`)).toBe(true);
    expect((await byName.fetch(`http://erp.corp.example:${server.port}/`)).status).toBe(200);
    expect(server.requests()).toBe(1);
  });

  it('refuses other schemes and URLs with credentials', async () => {
    const o = outbound({ allow: ['127.0.0.1'] });
    const file = await failure(o.fetch('file:///etc/passwd'));
    expect(file.code).toBe('OUTBOUND_BLOCKED');
    expect(file.message).toContain('only https');
    expect((await failure(o.fetch('ftp://127.0.0.1/'))).code).toBe('OUTBOUND_BLOCKED');
    const withUser = await failure(o.fetch('http://user:hunter2@127.0.0.1/'));
    expect(withUser.code).toBe('INVALID_ARGUMENT');
    expect(withUser.message).not.toContain('hunter2');
    expect((await failure(o.fetch('not a url'))).code).toBe('INVALID_ARGUMENT');
  });

  it('reports an unreachable host as OUTBOUND_FAILED with the network code as cause.code', async () => {
    const tcp = await silentTcpServer();
    const port = tcp.port;
    await closers.pop()!();
    await closers.pop()!();
    const refused = await failure(outbound({ allow: ['127.0.0.1'] }).fetch(`http://127.0.0.1:${port}/`));
    expect(refused.code).toBe('OUTBOUND_FAILED');
    expect((refused.cause as { code: string }).code).toBe('ECONNREFUSED');
    const unknown = await failure(outbound({ lookup: fakeLookup({}) }).fetch('https://nowhere.example/'));
    expect(unknown.code).toBe('OUTBOUND_FAILED');
    expect((unknown.cause as { code: string }).code).toBe('ENOTFOUND');
  });
});

describe('redirects', () => {
  it('returns a 3xx as it is and never follows it', async () => {
    const target = await httpServer((_req, res) => res.end('followed'));
    const server = await httpServer((_req, res) => {
      res.writeHead(302, { location: `${target.origin}/elsewhere` });
      res.end();
    });
    const res = await outbound({ allow: ['127.0.0.1'] }).fetch(`${server.origin}/start`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${target.origin}/elsewhere`);
    expect(res.redirected).toBe(false);
    expect(server.requests()).toBe(1);
    expect(target.requests()).toBe(0);
    expect((await failure(outbound({ allow: ['127.0.0.1'] }).fetch(`${server.origin}/`, { redirect: 'follow' as 'manual' }))).code).toBe('INVALID_ARGUMENT');
    expect(server.requests()).toBe(1);
  });
});

describe('response bodies', () => {
  /** Streams `total` bytes in 64 KiB chunks, honouring backpressure; reports how much it wrote. */
  function streamingHandler(total: number, sent: { bytes: number }): Handler {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let mine = 0;
      const pump = () => {
        while (mine < total && !res.destroyed) {
          mine += chunk.length;
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    };
  }

  it('aborts a 200 MB streamed answer at the 64 KiB cap, with bounded memory', async () => {
    const sent = { bytes: 0 };
    const server = await httpServer(streamingHandler(200 * 1024 * 1024, sent));
    const o = outbound({ allow: ['127.0.0.1'] });
    const small = await httpServer((_req, res) => res.end('{}'));
    await (await o.fetch(`${small.origin}/`)).text(); // warm up the pool and the code paths
    const before = process.memoryUsage();
    const started = performance.now();
    const err = await failure(o.fetch(`${server.origin}/token`));
    const elapsed = performance.now() - started;
    const after = process.memoryUsage();
    expect(err.code).toBe('OUTBOUND_RESPONSE_TOO_LARGE');
    expect(err.details).toMatchObject({ host: '127.0.0.1', maxBodyBytes: 65536, status: 200 });
    expect(err.message).toContain('larger than 65536 bytes');
    expect(after.rss - before.rss).toBeLessThan(32 * 1024 * 1024);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
    await settle();
    // The server stopped long before 200 MB: what it wrote is the cap plus socket buffers.
    expect(sent.bytes).toBeLessThan(32 * 1024 * 1024);
    expect(elapsed).toBeLessThan(5000);
  });

  it('refuses a declared Content-Length over the cap without reading it', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(200 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    const err = await failure(outbound({ allow: ['127.0.0.1'] }).fetch(`${server.origin}/`));
    expect(err.code).toBe('OUTBOUND_RESPONSE_TOO_LARGE');
  });

  it('takes a per-call cap, larger or smaller', async () => {
    const sent = { bytes: 0 };
    const server = await httpServer(streamingHandler(512 * 1024, sent));
    const o = outbound({ allow: ['127.0.0.1'] });
    const res = await o.fetch(`${server.origin}/`, { maxBodyBytes: 1024 * 1024 });
    expect((await res.arrayBuffer()).byteLength).toBe(512 * 1024);
    expect((await failure(o.fetch(`${server.origin}/`, { maxBodyBytes: 1000 }))).code).toBe('OUTBOUND_RESPONSE_TOO_LARGE');
    expect((await failure(o.fetch(`${server.origin}/`, { maxBodyBytes: 64 * 1024 * 1024 }))).code).toBe('INVALID_ARGUMENT');
  });

  it('asks for no compression, and decodes one sent anyway under the same cap', async () => {
    let acceptEncoding: string | undefined;
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const server = await httpServer((req, res) => {
      acceptEncoding = req.headers['accept-encoding'];
      const body = req.url === '/bomb' ? bomb : gzipSync(JSON.stringify({ access_token: 'at' }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const o = outbound({ allow: ['127.0.0.1'] });
    const res = await o.fetch(`${server.origin}/small`, { headers: { 'accept-encoding': 'gzip' } });
    expect(acceptEncoding).toBe('identity');
    expect(await res.json()).toEqual({ access_token: 'at' });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(bomb.length).toBeLessThan(65536);
    expect((await failure(o.fetch(`${server.origin}/bomb`))).code).toBe('OUTBOUND_RESPONSE_TOO_LARGE');
  });

  it('returns the global Response, with headers, a replayable body, and null bodies where HTTP has none', async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        return void res.end();
      }
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, 'Made', { 'content-type': 'application/json' });
      res.end('{"id":7}');
    });
    const o = outbound({ allow: ['127.0.0.1'] });
    const res = await o.fetch(`${server.origin}/?q=1`, { method: 'POST', body: '{}' });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.url).toBe('');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ id: 7 });
    const empty = await o.fetch(`${server.origin}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });
});

describe('timeouts', () => {
  const fast: OutboundOptions = { allow: ['127.0.0.1'], connectTimeoutMs: 200, headersTimeoutMs: 300, totalTimeoutMs: 600 };

  it('connect: a TLS handshake that never completes, or a name that never resolves', async () => {
    const tcp = await silentTcpServer();
    const o = outbound({ ...fast, lookup: fakeLookup({ 'slow-dns.example': 'hang' }) });
    for (const url of [`https://127.0.0.1:${tcp.port}/`, 'https://slow-dns.example/']) {
      const started = performance.now();
      const err = await failure(o.fetch(url));
      expect(err.code).toBe('OUTBOUND_TIMEOUT');
      expect(err.details).toMatchObject({ phase: 'connect', timeoutMs: 200 });
      expect((err.cause as { code: string }).code).toBe('UND_ERR_CONNECT_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(550);
    }
  });

  it('headers: a server that takes the request and never answers', async () => {
    const server = await httpServer(() => {});
    const started = performance.now();
    const err = await failure(outbound(fast).fetch(`${server.origin}/`));
    expect(err.code).toBe('OUTBOUND_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'headers', timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(550);
  });

  it('total: a server that answers at once and then trickles its body', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const err = await failure(outbound(fast).fetch(`${server.origin}/`));
    expect(err.code).toBe('OUTBOUND_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'total', timeoutMs: 600 });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('lowers per call but never raises, and a caller signal rejects with its own reason', async () => {
    const server = await httpServer(() => {});
    const o = outbound({ allow: ['127.0.0.1'] });
    let started = performance.now();
    const lowered = await failure(o.fetch(`${server.origin}/`, { timeoutMs: 150 }));
    expect(lowered.details).toMatchObject({ phase: 'total', timeoutMs: 150 });
    expect(performance.now() - started).toBeLessThan(1000);
    const capped = await failure(outbound(fast).fetch(`${server.origin}/`, { timeoutMs: 60_000, headersTimeoutMs: 60_000 }));
    expect(capped.details).toMatchObject({ phase: 'headers', timeoutMs: 300 });
    started = performance.now();
    const aborted = await failure(o.fetch(`${server.origin}/`, { signal: AbortSignal.timeout(100) }));
    expect((aborted as unknown as Error).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('as oauth4webapi customFetch', () => {
  const as = (origin: string): oauth.AuthorizationServer => ({ issuer: origin, token_endpoint: `${origin}/token` });
  const client: oauth.Client = { client_id: 'client-1' };

  it('runs a client credentials grant against a loopback token endpoint', async () => {
    let seen: { auth?: string; type?: string; body?: string } = {};
    const server = await httpServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen = { auth: req.headers.authorization, type: req.headers['content-type'], body };
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ access_token: 'at-123', token_type: 'Bearer', expires_in: 3600, scope: 'read' }));
      });
    });
    const o = outbound({ allow: ['127.0.0.1'] });
    const response = await oauth.clientCredentialsGrantRequest(as(server.origin), client, oauth.ClientSecretBasic('secret-1'), new URLSearchParams({ scope: 'read' }), {
      [oauth.customFetch]: o.fetch,
      [oauth.allowInsecureRequests]: o.allowsHttp(`${server.origin}/token`),
    });
    expect(response).toBeInstanceOf(Response);
    const result = await oauth.processClientCredentialsResponse(as(server.origin), client, response);
    expect(result.access_token).toBe('at-123');
    expect(result.expires_in).toBe(3600);
    // oauth4webapi form-encodes both parts first (RFC 6749 section 2.3.1): "-" becomes %2D.
    expect(seen.auth).toBe(`Basic ${Buffer.from('client%2D1:secret%2D1').toString('base64')}`);
    expect(seen.type).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(seen.body).get('grant_type')).toBe('client_credentials');
  });

  it('lets OUTBOUND_BLOCKED and OUTBOUND_RESPONSE_TOO_LARGE through oauth4webapi unchanged', async () => {
    const sent = { bytes: 0 };
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const server = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (sent.bytes < 200 * 1024 * 1024 && !res.destroyed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const grant = (o: Outbound) =>
      oauth.clientCredentialsGrantRequest(as(server.origin), client, oauth.ClientSecretPost('s'), new URLSearchParams(), {
        [oauth.customFetch]: o.fetch,
        [oauth.allowInsecureRequests]: true,
      });
    const blocked = await failure(grant(outbound()));
    expect(blocked).toBeInstanceOf(CofferError);
    expect(blocked.code).toBe('OUTBOUND_BLOCKED');
    const tooLarge = await failure(grant(outbound({ allow: ['127.0.0.1'] })));
    expect(tooLarge).toBeInstanceOf(CofferError);
    expect(tooLarge.code).toBe('OUTBOUND_RESPONSE_TOO_LARGE');
  });
});

describe('over TLS', () => {
  let dir: string | undefined;
  let tls: { key: Buffer; cert: Buffer } | undefined;
  beforeAll(() => {
    try {
      dir = mkdtempSync(join(tmpdir(), 'coffer-outbound-'));
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=provider.test',
          '-addext', 'subjectAltName=DNS:provider.test,DNS:mixed.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
        { stdio: 'ignore' },
      );
      tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    } catch {
      tls = undefined; // no openssl on this machine: the TLS cases are skipped
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects, checks the address before the handshake, and verifies the certificate for the name', async (ctx) => {
    if (!tls) return ctx.skip();
    let sni: string | undefined;
    const server = createHttpsServer({ ...tls }, (req, res) => {
      sni = (req.socket as import('node:tls').TLSSocket).servername || undefined;
      res.end('secure');
    });
    const port = await listen(server);
    const lookup = fakeLookup({ 'provider.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const allowed = outbound({ allow: ['provider.test', 'other.test'], lookup, ca: tls.cert });
    const res = await allowed.fetch(`https://provider.test:${port}/`);
    expect(await res.text()).toBe('secure');
    expect(sni).toBe('provider.test');
    const wrongName = await failure(allowed.fetch(`https://other.test:${port}/`));
    expect(wrongName.code).toBe('OUTBOUND_FAILED');
    expect((wrongName.cause as { code: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const untrusted = await failure(outbound({ allow: ['provider.test'], lookup }).fetch(`https://provider.test:${port}/`));
    expect(untrusted.code).toBe('OUTBOUND_FAILED');
    expect((await failure(outbound({ lookup, ca: tls.cert }).fetch(`https://provider.test:${port}/`))).code).toBe('OUTBOUND_BLOCKED');
  });

  it('connects to the usable address of a name that also resolves to refused ones', async (ctx) => {
    if (!tls) return ctx.skip();
    const server = createHttpsServer({ ...tls }, (_req, res) => res.end('reached'));
    const port = await listen(server);
    // 203.0.113.1 is refused (documentation range) and would never answer; 127.0.0.1 is listed.
    const lookup = fakeLookup({ 'mixed.test': ['203.0.113.1', '127.0.0.1'] });
    const res = await outbound({ allow: ['127.0.0.1'], lookup, ca: tls.cert, connectTimeoutMs: 1000 }).fetch(`https://mixed.test:${port}/`);
    expect(await res.text()).toBe('reached');
  });
});
