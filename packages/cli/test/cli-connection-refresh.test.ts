/**
 * `coffer connection refresh` (issue 10): refreshes at the provider now, even a token far from
 * expiry, and prints the new expiry; run for real against SQLite and PostgreSQL with the core
 * suites' token stand-in on loopback counting the grants it receives.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoffer } from '@coffer/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTokenStandIn, type TokenStandIn } from '../../core/test/support/token-standin.js';
import { backendEnv, coffer, expectOk, forEachBackendInParallel, okJson } from './support/cli.js';

forEachBackendInParallel('coffer connection refresh', (backend) => {
  // One stand-in per backend: the two blocks run at once, and each counts its own grants.
  let standIn: TokenStandIn;
  let providersDir: string;
  beforeAll(async () => {
    standIn = await startTokenStandIn();
    providersDir = mkdtempSync(join(tmpdir(), 'coffer-cli-refresh-providers-'));
    writeFileSync(
      join(providersDir, 'zq-cli-rn.json'),
      JSON.stringify({ id: 'zq-cli-rn', name: 'ZQ CLI refresh', auth: { mode: 'oauth2', oauth: { authorizationUrl: `${standIn.url}/authorize`, tokenUrl: `${standIn.url}/token` } }, api: { baseUrl: standIn.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } }),
    );
  });
  afterAll(async () => {
    await standIn?.close();
    rmSync(providersDir, { recursive: true, force: true });
  });
  const env = () => ({ ...backendEnv(backend()), COFFER_PROVIDERS_DIR: providersDir });
  const run = (args: string[]) => coffer(args, { env: env() });

  it('asks the provider now and prints the new expiry', async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'shop']));
    // The connection an authorization would have stored, with a token valid for another half hour.
    const vault = await createCoffer({ dataDir: env().COFFER_DATA_DIR, databaseUrl: env().COFFER_DATABASE_URL, providersDir, outboundAllow: ['127.0.0.1'], createIfMissing: false });
    let id: string;
    const expiresBefore = Date.now() + 1_800_000; // half an hour: far from due; the stand-in gives an hour
    try {
      await vault.secrets.put('shop', 'oauth-client.zq-cli-rn', { client_id: standIn.client.id, client_secret: standIn.client.secret });
      id = await vault.connections.storeAuthorization('shop', vault.providers.get('zq-cli-rn'), {
        connectionId: null,
        displayName: null,
        config: {},
        tokens: { access_token: `at-${randomBytes(6).toString('hex')}`, token_type: 'Bearer', refresh_token: `rt-${randomBytes(6).toString('hex')}`, expires_at: expiresBefore },
        onCommit: async () => {},
      });
    } finally {
      await vault.close();
    }
    const seen = standIn.requests.length;
    const human = expectOk(await run(['connection', 'refresh', id, '--tenant', 'shop'])).stdout;
    expect(standIn.requests.length).toBe(seen + 1);
    const printed = /^Refreshed (con_\w+): expires (\S+)\.$/m.exec(human);
    expect(printed, human).not.toBeNull();
    expect(printed![1]).toBe(id);
    expect(Date.parse(printed![2]!)).toBeGreaterThan(expiresBefore + 1_500_000);

    const json = okJson<{ id: string; expiresAt: string; lastRefreshedAt: string }>(await run(['connection', 'refresh', id, '--tenant', 'shop', '--json']));
    expect(standIn.requests.length).toBe(seen + 2);
    expect(json.id).toBe(id);
    expect(Date.parse(json.expiresAt)).toBeGreaterThanOrEqual(Date.parse(printed![2]!));
  });
});
