/**
 * `coffer tenant return-origins`: the origins a tenant's OAuth connect sessions may send the
 * browser back to (issue 8 §5), set and cleared from the command line and audited.
 */
import { expect, it, beforeAll } from 'vitest';
import { backendEnv, coffer, expectError, expectOk, forEachBackendInParallel, okJson } from './support/cli.js';

forEachBackendInParallel('coffer tenant return-origins', (backend) => {
  const run = (args: string[]) => coffer(args, { env: backendEnv(backend()) });

  beforeAll(async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'shop']));
  });

  it('shows none, sets exact origins, refuses a path or plain http off loopback, clears them, and audits each change', async () => {
    expect(okJson(await run(['tenant', 'return-origins', 'show', 'shop', '--json']))).toEqual({ tenant: 'shop', origins: null });
    expect(expectOk(await run(['tenant', 'return-origins', 'show', 'shop'])).stdout).toMatch(/only Coffer's own public origin/);
    const set = okJson(await run(['tenant', 'return-origins', 'set', 'shop', 'https://app.example.com', 'http://127.0.0.1:4000', '--json']));
    expect(set).toEqual({ tenant: 'shop', origins: ['https://app.example.com', 'http://127.0.0.1:4000'] });
    expect(okJson(await run(['tenant', 'return-origins', 'show', 'shop', '--json']))).toEqual(set);
    expectError(await run(['tenant', 'return-origins', 'set', 'shop', 'https://app.example.com/path']), 'INVALID_ARGUMENT');
    expectError(await run(['tenant', 'return-origins', 'set', 'shop', 'http://app.example.com']), 'INVALID_ARGUMENT');
    expectError(await run(['tenant', 'return-origins', 'set', 'nobody', 'https://app.example.com']), 'TENANT_NOT_FOUND');
    expect(okJson(await run(['tenant', 'return-origins', 'show', 'shop', '--json']))).toEqual(set);
    expect(okJson(await run(['tenant', 'return-origins', 'set', 'shop', '--json']))).toEqual({ tenant: 'shop', origins: null });
    const events = okJson<{ items: Array<{ action: string; actor: string; outcome: string; code: string | null; details: Record<string, unknown> }> }>(await run(['audit', 'list', '--tenant', 'shop', '--json']));
    const updates = events.items.filter((e) => e.action === 'tenant.return_origins.update');
    expect(updates.every((e) => e.actor.startsWith('cli'))).toBe(true);
    const changes = updates.filter((e) => e.outcome === 'success');
    expect(changes.map((e) => e.details.origins).sort()).toEqual(['', 'https://app.example.com http://127.0.0.1:4000']);
    // The refused lists are recorded too (core audits failures), without the origins asked for.
    const refused = updates.filter((e) => e.outcome === 'failure');
    expect(refused.map((e) => e.code)).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    expect(JSON.stringify(refused)).not.toContain('app.example.com/path');
  });
});
