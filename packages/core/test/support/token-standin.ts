/**
 * A minimal OAuth token endpoint on loopback for the token shapes a real authorization server
 * rarely produces on demand: no `expires_in`, a refresh answer without a refresh token, a
 * 503 outage. It accepts client_secret_basic with the client it was made with.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenStandIn {
  readonly url: string;
  readonly client: { id: string; secret: string };
  /** Grant types of the requests seen. */
  readonly requests: string[];
  /** What the next answers look like. */
  behaviour: { expiresIn?: number | null; refreshToken?: 'rotate' | 'omit'; outage?: boolean; invalidGrant?: boolean };
  close(): Promise<void>;
}

export async function startTokenStandIn(): Promise<TokenStandIn> {
  const client = { id: `client-${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  const requests: string[] = [];
  const state: { behaviour: TokenStandIn['behaviour'] } = { behaviour: { expiresIn: 3600, refreshToken: 'rotate' } };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const grant = params.get('grant_type') ?? '';
      requests.push(grant);
      const json = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(data));
      };
      // client_secret_basic: base64 of the form-encoded id and secret (RFC 6749, section 2.3.1).
      const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
      const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((p) => decodeURIComponent(p.replace(/\+/g, ' '))) : [];
      if (id !== client.id || secret !== client.secret) return json(401, { error: 'invalid_client' });
      const b = state.behaviour;
      if (b.outage) return json(503, { error: 'temporarily_unavailable' });
      if (b.invalidGrant) return json(400, { error: 'invalid_grant', error_description: 'grant revoked' });
      const out: Record<string, unknown> = { access_token: `at-${randomBytes(12).toString('hex')}`, token_type: 'Bearer' };
      if (b.expiresIn !== null && b.expiresIn !== undefined) out.expires_in = b.expiresIn;
      if (grant === 'refresh_token' && b.refreshToken !== 'omit') out.refresh_token = `rt-${randomBytes(12).toString('hex')}`;
      json(200, out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    client,
    requests,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b) {
      state.behaviour = b;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
