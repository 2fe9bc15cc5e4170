/**
 * Issue 9 §1: with the audit log unwritable, the CLI reveals nothing and changes nothing. Core
 * writes the events itself (actor `cli:<user>`), so this holds without any audit code in the
 * CLI; once the log is writable again everything works and the chain verifies.
 */
import { beforeAll, expect, it } from 'vitest';
import { hex } from '../../core/test/helpers.js';
import { withAuditRefused } from '../../core/test/support/audit-refused.js';
import { backendEnv, coffer, expectError, expectNoneOf, expectOk, forEachBackendInParallel, okJson } from './support/cli.js';

forEachBackendInParallel('coffer with the audit log unwritable', (backend) => {
  const run = (args: string[]) => coffer(args, { env: backendEnv(backend()) });
  const VALUE = `sk_live_${hex(16)}Fc1x`;
  const REFUSED = `sk_live_${hex(16)}Rf2y`;

  beforeAll(async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'acme']));
    expectOk(await run(['secret', 'put', 'k', '--tenant', 'acme', '--value', VALUE]));
  });

  it('refuses reveals and changes with AUDIT_UNAVAILABLE, prints no value, and applies nothing', async () => {
    await withAuditRefused(backend(), async () => {
      const reveal = await run(['secret', 'get', 'k', '--tenant', 'acme']);
      expectError(reveal, 'AUDIT_UNAVAILABLE');
      expectNoneOf(reveal, [VALUE]);
      const write = await run(['secret', 'put', 'k', '--tenant', 'acme', '--value', REFUSED]);
      expectError(write, 'AUDIT_UNAVAILABLE');
      expectNoneOf(write, [REFUSED]);
      expectError(await run(['tenant', 'create', 'other']), 'AUDIT_UNAVAILABLE');
      expectError(await run(['secret', 'delete', 'k', '--tenant', 'acme']), 'AUDIT_UNAVAILABLE');
    });
    // Nothing was applied: the value, its version and the tenant list are as before.
    const got = okJson<{ value: string; version: number }>(await run(['secret', 'get', 'k', '--tenant', 'acme', '--json']));
    expect({ value: got.value === VALUE, version: got.version }).toEqual({ value: true, version: 1 });
    expect(okJson<Array<{ id: string }>>(await run(['tenant', 'list', '--json'])).map((t) => t.id)).toEqual(['acme']);
    const events = okJson<{ items: Array<{ actor: string; action: string; outcome: string }> }>(await run(['audit', 'list', '--tenant', 'acme', '--json'])).items;
    // Every event the CLI caused is core's, as the CLI user; the refused attempts left none.
    expect(events.every((e) => e.actor.startsWith('cli'))).toBe(true);
    expect(events.map((e) => `${e.action}:${e.outcome}`).sort()).toEqual(['secret.reveal:success', 'secret.write:success', 'tenant.create:success']);
    expect(okJson<{ ok: boolean }>(await run(['audit', 'verify', '--json'])).ok).toBe(true);
  });
});
