/**
 * The one way core talks to the network: a fetch-shaped function over undici that only reaches
 * public (global unicast) addresses, never follows a redirect, gives up on time, and never reads
 * more of an answer than the caller asked for.
 *
 * Why each guard sits where it does:
 * - The address check runs on the connected socket (`socket.remoteAddress`), after TCP connects
 *   and before any byte (TLS ClientHello included) is written. It therefore covers IP literals,
 *   every address a name resolves to, and DNS rebinding; the DNS answer is also filtered first,
 *   so a name with one public and one private address connects to the public one.
 * - The body is read as a stream with a cap and the connection is torn down past it: a 200 MB
 *   token answer costs at most the cap in memory, not 200 MB (or, measured before, 850 MB).
 * - What comes back is the platform's global `Response`, built from the capped bytes, so
 *   oauth4webapi (which checks `instanceof Response`) and existing `instanceof Response`
 *   checks in Coffer accept it.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { Readable, pipeline, type Transform } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
// undici is loaded on the first request, not at import: it costs about 0.2 s of start-up, which
// every CLI command would pay although most never reach the network.
import type { Agent, buildConnector, Dispatcher } from 'undici';
import { CofferError } from '../errors.js';
import { blockedError, canonicalHost, OutboundPolicy, withCause } from './address-policy.js';

/** The limits every request gets unless its caller asks for less (bodies: for a different cap). */
export const OUTBOUND_DEFAULTS = Object.freeze({
  /** TCP connect plus TLS handshake. */
  connectTimeoutMs: 5_000,
  /** From the call's start to the last response header (connecting counts against it too). */
  headersTimeoutMs: 10_000,
  /** The whole call: connect, headers and the body read to its end. */
  totalTimeoutMs: 15_000,
  /** A token, test or revocation answer is a few hundred bytes; 64 KiB leaves ample room. */
  maxBodyBytes: 64 * 1024,
});

/** The largest `maxBodyBytes` a call may ask for: the layer buffers a whole body, so it stays bounded. */
export const MAX_BODY_BYTES_LIMIT = 16 * 1024 * 1024;

export interface OutboundOptions {
  /**
   * Hosts and ranges that may be reached although they are not public, and the only hosts plain
   * `http:` may reach: CIDRs (`10.0.0.0/8`, `fd00::/8`), IP addresses or host names — the
   * entries of `COFFER_OUTBOUND_ALLOW` (`ResolvedConfig.outboundAllow`). Default none.
   */
  allow?: readonly string[];
  /** Default {@link OUTBOUND_DEFAULTS}.connectTimeoutMs. Tests lower it. */
  connectTimeoutMs?: number;
  /** Default {@link OUTBOUND_DEFAULTS}.headersTimeoutMs; calls may only lower it. */
  headersTimeoutMs?: number;
  /** Default {@link OUTBOUND_DEFAULTS}.totalTimeoutMs; calls may only lower it. */
  totalTimeoutMs?: number;
  /** Default cap on a response body; a call may set its own up to {@link MAX_BODY_BYTES_LIMIT}. */
  maxBodyBytes?: number;
  /**
   * The resolver whose answers are filtered (default `dns.lookup`). Tests inject one to make a
   * name resolve to a chosen address; it is called with `{ all: true }`.
   */
  lookup?: LookupFunction;
  /** Extra trust anchors for TLS (an on-premises provider with a private CA). */
  ca?: ConnectionOptions['ca'];
}

/** A request body. `FormData` is not taken: nothing in Coffer sends multipart. */
export type OutboundBody = string | URLSearchParams | ArrayBuffer | ArrayBufferView | Blob | ReadableStream<Uint8Array>;

/**
 * The second argument of {@link Outbound.fetch}. It is a superset of what oauth4webapi passes to
 * a `customFetch` (`body`, `headers`, `method`, `redirect: 'manual'`, `signal`, `duplex`).
 */
export interface OutboundRequestInit {
  method?: string;
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]> | Headers;
  body?: OutboundBody | null;
  /** Only `'manual'`: a 3xx is returned as it is and never followed. */
  redirect?: 'manual';
  /** Aborting it rejects with its reason, as `fetch` does. */
  signal?: AbortSignal | null;
  /** Accepted for oauth4webapi's sake; streamed bodies are always sent half-duplex. */
  duplex?: 'half';
  /** Lowers the total time for this call (connect, headers and body). */
  timeoutMs?: number;
  /** Lowers the headers time for this call. */
  headersTimeoutMs?: number;
  /** This call's body cap in bytes (default the instance's, 64 KiB), at most {@link MAX_BODY_BYTES_LIMIT}. */
  maxBodyBytes?: number;
}

/** Which limit ran out: `details.phase` of an `OUTBOUND_TIMEOUT` error. */
export type OutboundTimeoutPhase = 'connect' | 'headers' | 'body' | 'total';

export interface Outbound {
  /**
   * Sends one request and returns the global `Response`, its body already read (at most the cap)
   * and replayable through `text()`, `json()`, `arrayBuffer()` or `body`. `response.url` is empty
   * (a URL may carry an API key in its query) and `response.redirected` is always false.
   *
   * Fails with a {@link CofferError}:
   * - `OUTBOUND_BLOCKED` — destination not public and not allowlisted, or plain `http:` to a host
   *   that is not allowlisted; nothing was sent. `details`: `host`, and `address`, `range` or
   *   `protocol`.
   * - `OUTBOUND_RESPONSE_TOO_LARGE` — the body passed the cap; the connection was torn down.
   *   `details`: `host`, `maxBodyBytes`, `status`.
   * - `OUTBOUND_TIMEOUT` — `details.phase` is `connect`, `headers`, `body` or `total`.
   * - `OUTBOUND_FAILED` — DNS, refused, reset, TLS or malformed HTTP.
   * - `INVALID_ARGUMENT` — a bad URL, a URL with user:password, an unsupported body or option.
   * Every one of them has `err.cause.code` (`OUTBOUND_BLOCKED`, `ECONNREFUSED`, `ENOTFOUND`,
   * `UND_ERR_HEADERS_TIMEOUT`, …), the shape older callers read. A caller's own `signal`
   * rejects with its reason (an `AbortError` or `TimeoutError` `DOMException`), as `fetch` does.
   *
   * It is a valid oauth4webapi `customFetch`:
   * @example
   * const outbound = createOutbound({ allow: config.outboundAllow });
   * const response = await oauth.clientCredentialsGrantRequest(as, client, auth, params, {
   *   [oauth.customFetch]: outbound.fetch,
   *   [oauth.allowInsecureRequests]: outbound.allowsHttp(as.token_endpoint!),
   * });
   * @example
   * const res = await outbound.fetch(`${baseUrl}/v2/offers`, { headers, timeoutMs: 10_000 });
   * if (res.status === 200) use(await res.json());
   */
  readonly fetch: (url: string | URL, init?: OutboundRequestInit) => Promise<Response>;
  /**
   * Whether `url` may be fetched over plain `http:`: its host is allowlisted (a listed name, or an
   * IP literal inside a listed range). Pass it as oauth4webapi's `allowInsecureRequests`.
   */
  allowsHttp(url: string | URL): boolean;
  /**
   * The checks that need no network: a parseable `http:`/`https:` URL without user:password,
   * `https:` unless the host is allowlisted, and an IP literal host that is public or allowlisted.
   * Throws what {@link Outbound.fetch} would throw; returns the parsed URL. A host name passing
   * here may still be refused when it resolves.
   */
  check(url: string | URL): URL;
  /** Closes pooled connections; later calls fail. */
  close(): Promise<void>;
}

function positiveInt(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > max) throw new CofferError('INVALID_ARGUMENT', `${name} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` of at most ${max}` : ''}.`);
  return value;
}

function outboundError(code: 'OUTBOUND_TIMEOUT' | 'OUTBOUND_FAILED' | 'OUTBOUND_RESPONSE_TOO_LARGE', message: string, details: Record<string, unknown>, causeCode: string): CofferError {
  return withCause(new CofferError(code, message, details), causeCode);
}

const PHASE_WORDS: Record<OutboundTimeoutPhase, string> = {
  connect: 'accept a connection',
  headers: 'answer',
  body: 'send the rest of its answer',
  total: 'finish answering',
};
const PHASE_CAUSE: Record<OutboundTimeoutPhase, string> = {
  connect: 'UND_ERR_CONNECT_TIMEOUT',
  headers: 'UND_ERR_HEADERS_TIMEOUT',
  body: 'UND_ERR_BODY_TIMEOUT',
  total: 'ETIMEDOUT',
};

function timeoutError(host: string, phase: OutboundTimeoutPhase, timeoutMs: number): CofferError {
  return outboundError('OUTBOUND_TIMEOUT', `"${host}" did not ${PHASE_WORDS[phase]} within ${timeoutMs} ms.`, { host, phase, timeoutMs }, PHASE_CAUSE[phase]);
}

/**
 * Resolves with `{ all: true }` and keeps only the addresses the policy lets `hostname` reach.
 * @internal exported for tests
 */
export function filteredLookup(policy: OutboundPolicy, resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, result) => {
      if (err) return callback(err, '');
      const all: LookupAddress[] = Array.isArray(result) ? result : [{ address: result, family: isIP(result) }];
      const usable = all.filter((a) => policy.refusal(hostname, a.address) === null);
      if (usable.length === 0) {
        const first = all[0];
        if (!first) return callback(withCause(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), 'ENOTFOUND'), '');
        return callback(blockedError(hostname, { address: first.address, range: policy.refusal(hostname, first.address) ?? 'not-global-unicast' }), '');
      }
      if (options.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * undici's connector, with the address check between TCP connect and the first byte: the TCP
 * socket is opened here, its `remoteAddress` checked, and only then is TLS started on it (by
 * undici's own connector, so its session cache and ALPN settings apply).
 * @internal exported for tests, which call it with an unfiltered lookup to show that this check
 * holds on its own
 */
export function guardedConnector(
  build: typeof buildConnector,
  policy: OutboundPolicy,
  lookup: LookupFunction,
  connectTimeoutMs: number,
  ca: OutboundOptions['ca'],
): buildConnector.connector {
  // Our timer covers TCP and TLS together, so undici's own connect timer is off.
  const startTls = build({ timeout: 0, ...(ca !== undefined ? { ca } : {}) });
  return ({ hostname, host, protocol, port, servername, localAddress }, callback) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (err: Error | null, socket?: Socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) callback(err, null);
      else callback(null, socket!);
    };
    const tcp = netConnect({
      host: hostname,
      port: Number(port) || (protocol === 'https:' ? 443 : 80),
      lookup,
      autoSelectFamily: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
      ...(localAddress ? { localAddress } : {}),
    });
    timer = setTimeout(() => {
      tcp.destroy();
      settle(timeoutError(canonicalHost(hostname), 'connect', connectTimeoutMs));
    }, connectTimeoutMs);
    tcp.once('error', (err) => settle(err));
    tcp.once('connect', () => {
      const address = tcp.remoteAddress;
      const refusal = policy.refusal(hostname, address);
      if (refusal !== null) {
        tcp.destroy();
        settle(blockedError(hostname, address === undefined ? { range: refusal } : { address, range: refusal }));
        return;
      }
      if (protocol !== 'https:') return settle(null, tcp);
      startTls({ hostname, host, protocol, port, servername, localAddress, httpSocket: tcp }, (err, tls) => {
        if (err) {
          tcp.destroy();
          settle(err);
        } else settle(null, tls);
      });
    });
  };
}

/** The request body in a form undici takes, and the content type it implies. */
async function requestBody(body: OutboundBody | null | undefined): Promise<{ body: string | Buffer | Readable | undefined; type?: string }> {
  if (body === undefined || body === null) return { body: undefined };
  if (typeof body === 'string') return { body, type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) return { body: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (body instanceof ArrayBuffer) return { body: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  if (body instanceof Blob) return { body: Buffer.from(await body.arrayBuffer()), ...(body.type ? { type: body.type } : {}) };
  if (body instanceof ReadableStream) return { body: Readable.fromWeb(body as import('node:stream/web').ReadableStream) };
  throw new CofferError('INVALID_ARGUMENT', 'An outbound request body must be a string, URLSearchParams, bytes, a Blob or a ReadableStream.');
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/**
 * Reads at most `max` bytes (after decoding) and tears the stream down past it, so memory is
 * bounded by the cap whatever the server sends.
 */
async function readCapped(body: Readable, decoder: Transform | undefined, max: number, tooLarge: () => CofferError): Promise<Buffer> {
  const source: Readable = decoder ? pipeline(body, decoder, () => {}) : body;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    if (total > max || !body.readableEnded) {
      body.destroy();
      decoder?.destroy();
    }
  }
  return Buffer.concat(chunks, total);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Creates the outbound layer. Make one per process (it pools connections) and pass it down;
 * `close()` it on shutdown.
 *
 * @example
 * const outbound = createOutbound({ allow: config.outboundAllow });
 * const res = await outbound.fetch('https://api.example.com/v1/me', { headers: { authorization: `Bearer ${token}` } });
 */
export function createOutbound(options: OutboundOptions = {}): Outbound {
  const policy = new OutboundPolicy(options.allow ?? []);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs, OUTBOUND_DEFAULTS.connectTimeoutMs);
  const headersTimeoutMs = positiveInt('headersTimeoutMs', options.headersTimeoutMs, OUTBOUND_DEFAULTS.headersTimeoutMs);
  const totalTimeoutMs = positiveInt('totalTimeoutMs', options.totalTimeoutMs, OUTBOUND_DEFAULTS.totalTimeoutMs);
  const defaultMaxBody = positiveInt('maxBodyBytes', options.maxBodyBytes, OUTBOUND_DEFAULTS.maxBodyBytes, MAX_BODY_BYTES_LIMIT);
  const lookup = filteredLookup(policy, options.lookup ?? (dnsLookup as LookupFunction));
  let agent: Promise<Agent> | undefined;
  let closed = false;
  const agentFor = (): Promise<Agent> =>
    (agent ??= import('undici').then(
      (undici) =>
        new undici.Agent({
          connect: guardedConnector(undici.buildConnector, policy, lookup, connectTimeoutMs, options.ca),
          headersTimeout: headersTimeoutMs,
          bodyTimeout: totalTimeoutMs,
        }),
    ));

  function check(input: string | URL): URL {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new CofferError('INVALID_ARGUMENT', 'An outbound request URL is not a valid absolute URL.');
    }
    const host = canonicalHost(url.hostname);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw blockedError(host, { protocol: url.protocol.replace(/:$/, '') });
    if (url.username !== '' || url.password !== '') {
      throw new CofferError('INVALID_ARGUMENT', `An outbound request URL to "${host}" carries a user name or password; send credentials in a header instead.`);
    }
    if (url.protocol === 'http:' && !policy.hostListed(host)) throw blockedError(host, { protocol: 'http' });
    if (isIP(host) !== 0) {
      const range = policy.refusal(host, host);
      if (range !== null) throw blockedError(host, { address: host, range });
    }
    return url;
  }

  async function send(input: string | URL, init: OutboundRequestInit = {}): Promise<Response> {
    const url = check(input);
    const host = canonicalHost(url.hostname);
    if (init.redirect !== undefined && init.redirect !== 'manual') {
      throw new CofferError('INVALID_ARGUMENT', 'Outbound requests never follow redirects; pass redirect "manual" or leave it out.');
    }
    const total = Math.min(positiveInt('timeoutMs', init.timeoutMs, totalTimeoutMs), totalTimeoutMs);
    const headersTimeout = Math.min(positiveInt('headersTimeoutMs', init.headersTimeoutMs, headersTimeoutMs), headersTimeoutMs, total);
    const maxBody = positiveInt('maxBodyBytes', init.maxBodyBytes, defaultMaxBody, MAX_BODY_BYTES_LIMIT);
    const method = (init.method ?? 'GET').toUpperCase();

    const headers: Record<string, string> = {};
    new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
      headers[name] = value;
    });
    const { body, type } = await requestBody(init.body);
    if (type !== undefined && headers['content-type'] === undefined) headers['content-type'] = type;
    headers['user-agent'] ??= 'Coffer';
    // A compressed answer would be decoded under the same cap, but asking for none is simpler.
    headers['accept-encoding'] = 'identity';

    const callerSignal = init.signal ?? undefined;
    callerSignal?.throwIfAborted();
    const controller = new AbortController();
    // Our own timers rather than undici's headersTimeout alone: undici's run on a coarse clock
    // (about half a second), and ours also count the connect time into the headers limit.
    let expired: CofferError | undefined;
    const expire = (phase: OutboundTimeoutPhase, ms: number) => () => {
      expired ??= timeoutError(host, phase, ms);
      controller.abort(expired);
    };
    const timer = setTimeout(expire('total', total), total);
    const headersTimer = headersTimeout < total ? setTimeout(expire('headers', headersTimeout), headersTimeout) : undefined;
    const onCallerAbort = () => controller.abort(callerSignal!.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    let status: number | undefined;
    try {
      if (closed) throw new CofferError('INVALID_ARGUMENT', 'This outbound layer was closed.');
      const res: Dispatcher.ResponseData = await (await agentFor()).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        signal: controller.signal,
        headersTimeout,
        bodyTimeout: total,
      });
      clearTimeout(headersTimer);
      status = res.statusCode;
      const tooLarge = () =>
        outboundError('OUTBOUND_RESPONSE_TOO_LARGE', `The answer from "${host}" is larger than ${maxBody} bytes; the request was aborted.`, { host, maxBodyBytes: maxBody, status }, 'OUTBOUND_RESPONSE_TOO_LARGE');
      const declared = Number(headerValue(res.headers['content-length']));
      const encoding = headerValue(res.headers['content-encoding']);
      const decoder = decoderFor(encoding);
      if (decoder === undefined && Number.isFinite(declared) && declared > maxBody) {
        res.body.destroy();
        throw tooLarge();
      }
      const bytes = await readCapped(res.body, decoder, maxBody, tooLarge);
      if (res.statusCode < 200 || res.statusCode > 599) {
        throw outboundError('OUTBOUND_FAILED', `"${host}" answered with HTTP status ${res.statusCode}, which Coffer does not accept.`, { host, status: res.statusCode }, 'UND_ERR_INVALID_STATUS');
      }
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        if (decoder !== undefined && (name === 'content-encoding' || name === 'content-length')) continue;
        for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
      }
      const nullBody = NULL_BODY_STATUS.has(res.statusCode) || method === 'HEAD';
      return new Response(nullBody ? null : bytes, { status: res.statusCode, statusText: res.statusText ?? '', headers: responseHeaders });
    } catch (err) {
      if (err instanceof CofferError) throw err;
      if (expired) throw expired;
      if (callerSignal?.aborted) throw callerSignal.reason;
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT') throw timeoutError(host, 'headers', headersTimeout);
      if (code === 'UND_ERR_BODY_TIMEOUT') throw timeoutError(host, 'body', total);
      if (code === 'UND_ERR_CONNECT_TIMEOUT') throw timeoutError(host, 'connect', connectTimeoutMs);
      const raw = typeof code === 'string' ? code : (err as { cause?: { code?: unknown } }).cause?.code;
      // Only a code goes into the message and cause: a network error's own message may quote more.
      const causeCode = typeof raw === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(raw) ? raw : 'UND_ERR';
      throw outboundError(
        'OUTBOUND_FAILED',
        `Could not reach "${host}" (${causeCode}).`,
        { host, ...(status !== undefined ? { status } : {}), reason: causeCode },
        causeCode,
      );
    } finally {
      clearTimeout(timer);
      clearTimeout(headersTimer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    fetch: send,
    check,
    allowsHttp(input) {
      try {
        return policy.hostListed(new URL(input).hostname);
      } catch {
        return false;
      }
    },
    async close() {
      closed = true;
      if (agent) await (await agent).close();
    },
  };
}
