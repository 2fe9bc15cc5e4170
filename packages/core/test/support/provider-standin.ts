/**
 * A stand-in for a provider's API on loopback, behaving like the real ones do for the calls
 * Coffer makes: a credential in a header, 200 with an account document when it is right, 401
 * when it is wrong, 429 with Retry-After when told to be rate limited. It records what it saw.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandIn {
  readonly url: string;
  /** Requests seen, newest last: method, path and the credential header's value. */
  readonly seen: { method: string; path: string; credential: string | undefined }[];
  /** What the next requests get. */
  mode: 'normal' | 'rate_limited' | 'server_error';
  close(): Promise<void>;
}

export interface StandInOptions {
  /** The header that carries the credential, lower case. */
  header: string;
  /** The value a valid credential gives. */
  expect: string;
  /** The account document a valid request gets. */
  account: unknown;
  /** Paths answered; others get 404. */
  paths: string[];
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const seen: StandIn['seen'] = [];
  const state = { mode: 'normal' as StandIn['mode'] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const credential = req.headers[options.header] as string | undefined;
    seen.push({ method: req.method ?? '', path: url.pathname + url.search, credential });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (!options.paths.includes(url.pathname)) return json(404, { errors: 'Not Found' });
    if (state.mode === 'rate_limited') return json(429, { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, { 'retry-after': '2.0' });
    if (state.mode === 'server_error') return json(500, { errors: 'Internal Server Error' });
    // A real API echoes nothing of a bad credential; neither does this one, but its error body
    // carries a token-like string, which Coffer must never pass on.
    if (credential !== options.expect) return json(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)', request_token: 'leaky-body-token-should-not-surface' });
    return json(200, options.account);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
