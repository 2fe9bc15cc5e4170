/**
 * The credentials read (issue 10): one prepared read of the connection and its secret (cached on
 * SQLite until the database changes), and `lastUsedAt` written at most once a minute. A change
 * made anywhere — this instance, or another process on the same database — is seen by the next
 * read; the use time is recorded without a write on every read.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { expectCode, hex, openCoffer, tenantId, withRaw } from './helpers.js';

forEachBackend('credentials read', (backend) => {
  let coffer: Coffer;
  let other: Coffer;
  const tenant = tenantId('cr');
  const key = () => `sk_live_${hex(16)}`;

  beforeAll(async () => {
    coffer = await openCoffer(backend());
    // A second instance stands in for another process or replica on the same database.
    other = await openCoffer(backend());
    await coffer.tenants.create(tenant);
  });
  afterAll(async () => {
    await other?.close();
    await coffer?.close();
  });

  const create = async (apiKey: string) => (await coffer.connections.create(tenant, { provider: 'generic-api-key', config: { api_host: 'api.example.com' }, credentials: { api_key: apiKey } })).id;

  it('sees new credentials, a revocation and a deletion at once, from this instance or another', async () => {
    const first = key();
    const id = await create(first);
    expect((await coffer.connections.getCredentials(tenant, id)).values.api_key).toBe(first);
    // Read twice so a cached row exists, then change it from the other instance.
    expect((await coffer.connections.getCredentials(tenant, id)).values.api_key).toBe(first);
    const second = key();
    await other.connections.update(tenant, id, { credentials: { api_key: second } });
    expect((await coffer.connections.getCredentials(tenant, id)).values.api_key).toBe(second);
    const third = key();
    await coffer.connections.update(tenant, id, { credentials: { api_key: third } });
    expect((await coffer.connections.getCredentials(tenant, id)).values.api_key).toBe(third);
    await withRaw(backend(), (db) => db.run(`update connections set status = 'revoked' where id = ?`, [id]));
    await expectCode(coffer.connections.getCredentials(tenant, id), 'CONNECTION_UNUSABLE');
    await withRaw(backend(), (db) => db.run(`update connections set status = 'active' where id = ?`, [id]));
    await other.connections.delete(tenant, id);
    await expectCode(coffer.connections.getCredentials(tenant, id), 'CONNECTION_NOT_FOUND');
    await expectCode(coffer.connections.getCredentials(`zz${tenant}`, id), 'TENANT_NOT_FOUND');
  });

  it('a secret whose current version was deleted is explained, not served', async () => {
    const id = await create(key());
    const secretName = (await coffer.connections.get(tenant, id)).secret.name;
    await coffer.connections.getCredentials(tenant, id);
    await other.secrets.delete(tenant, secretName);
    await expectCode(coffer.connections.getCredentials(tenant, id), 'SECRET_VERSION_DELETED');
  });

  it('records lastUsedAt on the first use, and not again on every read within the minute', async () => {
    const id = await create(key());
    expect((await coffer.connections.get(tenant, id)).lastUsedAt).toBeNull();
    await coffer.connections.getCredentials(tenant, id);
    const firstUse = (await coffer.connections.get(tenant, id)).lastUsedAt;
    expect(firstUse).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) await coffer.connections.getCredentials(tenant, id);
    expect((await coffer.connections.get(tenant, id)).lastUsedAt).toEqual(firstUse);
    // Every read is still audited.
    const events = (await coffer.audit.list({ tenant, action: 'connection.credentials', target: id })).items;
    expect(events).toHaveLength(6);
  });
});
