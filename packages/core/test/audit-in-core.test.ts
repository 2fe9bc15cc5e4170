/**
 * Issue 9 §1, first part: core audits the calls where plaintext leaves it, whoever calls. An
 * application embedding `createCoffer()` gets a `secret.reveal` / `connection.credentials`
 * event as actor `library`; `coffer.as(actor)` names the actor; an event that cannot be written
 * means no value (fail closed); core's own internal reads add no event of their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { startStandIn, type StandIn } from './support/provider-standin.js';
import { expectCode, hex, openCoffer, tenantId, withRaw } from './helpers.js';

forEachBackend('audit in core', (backend) => {
  let coffer: Coffer;
  let standIn: StandIn;
  let dir: string;
  const tenant = tenantId('aic');
  const VALUE = `sk_live_${hex(16)}`;
  const KEY = `tk_${hex(16)}`;
  let connectionId = '';

  beforeAll(async () => {
    standIn = await startStandIn({ header: 'x-api-key', expect: KEY, account: { id: 'A-1' }, paths: ['/me'] });
    dir = mkdtempSync(join(tmpdir(), 'coffer-aic-'));
    writeFileSync(
      join(dir, 'zq-aic.json'),
      JSON.stringify({ id: 'zq-aic', name: 'ZQ audit', auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'key' }] }, api: { baseUrl: standIn.url, inject: { headers: { 'X-Api-Key': '{api_key}' } }, test: { path: '/me' } } }),
    );
    coffer = await openCoffer(backend(), { providersDir: dir });
    await coffer.tenants.create(tenant);
    await coffer.secrets.put(tenant, 'k', VALUE);
    connectionId = (await coffer.connections.create(tenant, { provider: 'zq-aic', credentials: { api_key: KEY } })).id;
  });
  afterAll(async () => {
    await coffer?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const eventsOf = async (action: string) => (await coffer.audit.list({ tenant, action })).items;

  it('an embedded reveal and credentials read are audited as actor library, before the value is returned', async () => {
    expect((await coffer.secrets.reveal(tenant, 'k')).value).toBe(VALUE);
    const [reveal] = await eventsOf('secret.reveal');
    expect(reveal).toMatchObject({ actor: 'library', tenant, target: 'k', outcome: 'success', details: { version: 1 } });
    expect((await coffer.connections.getCredentials(tenant, connectionId)).values).toEqual({ api_key: KEY });
    const [creds] = await eventsOf('connection.credentials');
    expect(creds).toMatchObject({ actor: 'library', tenant, target: connectionId, outcome: 'success', details: { provider: 'zq-aic' } });
    expect(JSON.stringify(await coffer.audit.list({ tenant }))).not.toContain(VALUE);
  });

  it('coffer.as(actor) names who acts, with address and request id; a failed attempt is recorded too', async () => {
    const who = { actor: 'job:nightly', ip: '10.0.0.7', requestId: 'req-1' };
    await coffer.as(who).secrets.reveal(tenant, 'k', { version: 1 });
    expect((await eventsOf('secret.reveal'))[0]).toMatchObject({ actor: 'job:nightly', ip: '10.0.0.7', requestId: 'req-1', details: { version: 1, requestedVersion: 1 } });
    await expectCode(coffer.as(who).secrets.reveal(tenant, 'missing'), 'SECRET_NOT_FOUND');
    expect((await eventsOf('secret.reveal'))[0]).toMatchObject({ actor: 'job:nightly', target: 'missing', outcome: 'failure', code: 'SECRET_NOT_FOUND' });
    await coffer.as(who).connections.getCredentials(tenant, connectionId);
    expect((await eventsOf('connection.credentials'))[0]).toMatchObject({ actor: 'job:nightly', requestId: 'req-1' });
    // Text that is not an id is refused before anything is recorded: it could be a pasted secret.
    const before = (await coffer.audit.list({ tenant })).items.length;
    await expectCode(coffer.secrets.reveal(tenant, `not a name ${VALUE}`), 'SECRET_NAME_INVALID');
    expect((await coffer.audit.list({ tenant })).items.length).toBe(before);
  });

  it("core's own reads add no event of their own: a connection test is one connection.test event, not a reveal", async () => {
    const reveals = (await eventsOf('secret.reveal')).length;
    const credentials = (await eventsOf('connection.credentials')).length;
    await coffer.connections.test(tenant, connectionId);
    expect((await eventsOf('secret.reveal')).length).toBe(reveals);
    expect((await eventsOf('connection.credentials')).length).toBe(credentials);
  });

  it('with the audit table unwritable, an embedded reveal and credentials read fail closed and return nothing', async () => {
    await withRaw(backend(), async (db) => {
      await db.run('alter table audit_events rename to audit_events_parked');
      try {
        for (const read of [() => coffer.secrets.reveal(tenant, 'k'), () => coffer.as({ actor: 'x' }).secrets.reveal(tenant, 'k'), () => coffer.connections.getCredentials(tenant, connectionId)]) {
          const err = await expectCode(read(), 'AUDIT_UNAVAILABLE');
          expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(VALUE);
        }
      } finally {
        await db.run('alter table audit_events_parked rename to audit_events');
      }
    });
    expect((await coffer.secrets.reveal(tenant, 'k')).value).toBe(VALUE);
  });
});

