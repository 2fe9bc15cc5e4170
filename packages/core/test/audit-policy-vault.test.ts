/**
 * Issue 9 §1 for secrets, API tokens and keys: core audits each of their changes itself,
 * whoever calls. For every audited method:
 *
 * - on the plain vault (an embedding application) its event names actor `library`;
 * - through `coffer.as(actor)` it names that actor, address and request id;
 * - a call that fails is recorded as a `failure` with its code;
 * - with the audit log refusing every event, the call fails with AUDIT_UNAVAILABLE and changes
 *   nothing (the event is written in the change's own transaction).
 *
 * The first admin token (`createBootstrapToken`) is audited as actor `system:bootstrap`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Coffer, ErrorCode } from '../src/index.js';
import { BACKENDS, forEachBackend, makeBackend } from './support/backends.js';
import { withAuditRefused } from './support/audit-refused.js';
import { expectCode, hex, openCoffer, tenantId, withRaw } from './helpers.js';

const WHO = { actor: 'job:x', ip: '10.0.0.1', requestId: 'r1' };
const VALUE = `sk_live_${hex(16)}`;

type Expected = Partial<Pick<AuditEvent, 'action' | 'tenant' | 'target' | 'details'>>;

/** One audited call, made ready afresh for each test. */
interface Prepared<R = any> {
  call: (vault: Coffer) => Promise<R>;
  /** The events the call appends, oldest first (given its result). */
  events: (result: R) => Expected[];
  /** What the call changes, read back: equal before and after a refused call. */
  state: () => Promise<unknown>;
}

interface Failing {
  call: (vault: Coffer) => Promise<unknown>;
  code: ErrorCode;
  event: Expected;
  /** Undoes what the failure needed (a lease held, a broken tenant). */
  after?: () => Promise<void>;
}

interface AuditedMethod {
  name: string;
  prepare: () => Promise<Prepared>;
  failing: () => Promise<Failing>;
}

forEachBackend('core audits changes to secrets, tokens and keys', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
  });
  afterAll(async () => {
    await coffer?.close();
  });

  const headSeq = async () => (await coffer.audit.list({ limit: 1 })).items[0]?.seq ?? 0;
  /** Runs `work` and returns its result and the events it appended, oldest first. */
  async function appendedBy<T>(work: () => Promise<T>): Promise<{ result: T; events: AuditEvent[] }> {
    const before = await headSeq();
    const result = await work();
    const events = (await coffer.audit.list({ limit: 1000 })).items.filter((e) => e.seq > before).reverse();
    return { result, events };
  }

  const newTenant = async (prefix: string) => {
    const t = tenantId(prefix);
    await coffer.tenants.create(t);
    return t;
  };
  const tenantKeys = async (t: string) => (await coffer.keys.status()).tenants.filter((k) => k.tenant === t).map((k) => [k.id, k.state, k.rootKeyId, k.secretVersions]);
  const rootKeys = async () => (await coffer.keys.status()).root.map((r) => [r.id, r.state, r.tenantKeys]);
  /** The key file and the previous keys kept beside it (a retired root key leaves the latter). */
  const rootKeyFiles = () => [coffer.config.rootKeyFile, `${coffer.config.rootKeyFile}.previous`].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : null));
  /** Tenant keys still wrapped by a root key: what a root rotation moves. */
  const wrappedTenantKeys = async () => (await coffer.keys.status()).tenants.filter((k) => k.rootKeyId !== null).length;

  describe('createBootstrapToken (the first admin token, made at first start)', () => {
    it('is refused, and makes no token, while the audit log refuses its event', async () => {
      await withAuditRefused(backend(), () => expectCode(coffer.tokens.createBootstrapToken(), 'AUDIT_UNAVAILABLE'));
      expect(await coffer.tokens.count()).toBe(0);
    });

    it('is audited as token.create by system:bootstrap, never with the token; a later start makes none and records none', async () => {
      const { result, events } = await appendedBy(() => coffer.tokens.createBootstrapToken());
      expect(result).not.toBeNull();
      expect(events).toEqual([
        expect.objectContaining({ actor: 'system:bootstrap', action: 'token.create', tenant: null, target: result!.info.id, outcome: 'success', details: { kind: 'admin', scopes: '' } }),
      ]);
      expect(JSON.stringify(events)).not.toContain(result!.token);
      const again = await appendedBy(() => coffer.tokens.createBootstrapToken());
      expect(again).toEqual({ result: null, events: [] });
    });
  });

  const methods: AuditedMethod[] = [
    {
      name: 'secrets.put',
      prepare: async () => {
        const t = await newTenant('put');
        return {
          call: (v) => v.secrets.put(t, 'k', VALUE),
          events: () => [{ action: 'secret.write', tenant: t, target: 'k', details: { version: 1 } }],
          state: async () => (await coffer.secrets.list(t)).items.map((s) => [s.name, s.currentVersion]),
        };
      },
      failing: async () => {
        const t = await newTenant('put');
        return { call: (v) => v.secrets.put(t, 'k', VALUE, { cas: 5 }), code: 'CAS_MISMATCH', event: { action: 'secret.write', tenant: t, target: 'k' } };
      },
    },
    {
      name: 'secrets.put past maxVersions (it destroys the oldest version)',
      prepare: async () => {
        const t = await newTenant('putmax');
        for (let v = 1; v <= 2; v++) await coffer.secrets.put(t, 'k', `${VALUE}-${v}`, { maxVersions: 2 });
        return {
          call: (v) => v.secrets.put(t, 'k', VALUE),
          events: (): Expected[] => [
            { action: 'secret.write', tenant: t, target: 'k', details: { version: 3 } },
            { action: 'secret.version.destroy', tenant: t, target: 'k', details: { version: 1, reason: 'max_versions', maxVersions: 2 } },
          ],
          state: async () => (await coffer.secrets.versions(t, 'k')).map((v) => [v.version, v.state]),
        };
      },
      failing: async () => {
        const t = await newTenant('putmax');
        await coffer.secrets.put(t, 'k', { username: 'u', password: VALUE }, { type: 'basic' });
        // A plain string for a basic secret: refused (destroying nothing), and the value is not recorded.
        return { call: (v) => v.secrets.put(t, 'k', VALUE, { maxVersions: 1 }), code: 'SECRET_VALUE_INVALID', event: { action: 'secret.write', tenant: t, target: 'k' } };
      },
    },
    {
      name: 'secrets.delete',
      prepare: async () => {
        const t = await newTenant('del');
        await coffer.secrets.put(t, 'k', VALUE);
        return {
          call: (v) => v.secrets.delete(t, 'k'),
          events: () => [{ action: 'secret.delete', tenant: t, target: 'k', details: { versions: '1' } }],
          state: async () => (await coffer.secrets.versions(t, 'k')).map((v) => [v.version, v.state]),
        };
      },
      failing: async () => {
        const t = await newTenant('del');
        return { call: (v) => v.secrets.delete(t, 'missing'), code: 'SECRET_NOT_FOUND', event: { action: 'secret.delete', tenant: t, target: 'missing' } };
      },
    },
    {
      name: 'secrets.undelete',
      prepare: async () => {
        const t = await newTenant('undel');
        await coffer.secrets.put(t, 'k', VALUE);
        await coffer.secrets.delete(t, 'k');
        return {
          call: (v) => v.secrets.undelete(t, 'k', { versions: [1] }),
          events: () => [{ action: 'secret.undelete', tenant: t, target: 'k', details: { versions: '1' } }],
          state: async () => (await coffer.secrets.versions(t, 'k')).map((v) => [v.version, v.state]),
        };
      },
      failing: async () => {
        const t = await newTenant('undel');
        await coffer.secrets.put(t, 'k', VALUE);
        return { call: (v) => v.secrets.undelete(t, 'k', { versions: [9] }), code: 'SECRET_VERSION_NOT_FOUND', event: { action: 'secret.undelete', tenant: t, target: 'k' } };
      },
    },
    {
      name: 'secrets.destroy',
      prepare: async () => {
        const t = await newTenant('destroy');
        await coffer.secrets.put(t, 'k', VALUE);
        await coffer.secrets.put(t, 'k', `${VALUE}-2`);
        return {
          call: (v) => v.secrets.destroy(t, 'k', { versions: [1] }),
          events: () => [{ action: 'secret.destroy', tenant: t, target: 'k', details: { versions: '1' } }],
          state: async () => (await coffer.secrets.versions(t, 'k')).map((v) => [v.version, v.state, v.masked]),
        };
      },
      failing: async () => {
        const t = await newTenant('destroy');
        return { call: (v) => v.secrets.destroy(t, 'missing'), code: 'SECRET_NOT_FOUND', event: { action: 'secret.destroy', tenant: t, target: 'missing' } };
      },
    },
    {
      name: 'tokens.create',
      prepare: async () => {
        const t = await newTenant('tok');
        return {
          call: (v) => v.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read', 'secrets:reveal'], description: 'for the sync job' }),
          events: (r: { info: { id: string } }) => [{ action: 'token.create', tenant: t, target: r.info.id, details: { kind: 'tenant', scopes: 'secrets:read secrets:reveal' } }],
          state: async () => (await coffer.tokens.list({ tenant: t })).map((k) => k.id),
        };
      },
      failing: async () => {
        const t = tenantId('gone');
        return { call: (v) => v.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read'] }), code: 'TENANT_NOT_FOUND', event: { action: 'token.create', tenant: t, target: null } };
      },
    },
    {
      name: 'tokens.revoke',
      prepare: async () => {
        const t = await newTenant('rev');
        const { info } = await coffer.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read'] });
        return {
          call: (v) => v.tokens.revoke(info.id),
          events: () => [{ action: 'token.revoke', tenant: t, target: info.id }],
          state: async () => (await coffer.tokens.get(info.id)).revokedAt,
        };
      },
      failing: async () => {
        const id = `tok_${hex(8)}`;
        return { call: (v) => v.tokens.revoke(id), code: 'TOKEN_NOT_FOUND', event: { action: 'token.revoke', tenant: null, target: id } };
      },
    },
    {
      name: 'keys.rotateTenantKey',
      prepare: async () => {
        const t = await newTenant('rot');
        return {
          call: (v) => v.keys.rotateTenantKey(t),
          events: () => [{ action: 'key.rotate', tenant: t, target: `${t}/v2` }],
          state: () => tenantKeys(t),
        };
      },
      failing: async () => {
        const t = tenantId('gone');
        return { call: (v) => v.keys.rotateTenantKey(t), code: 'TENANT_NOT_FOUND', event: { action: 'key.rotate', tenant: t } };
      },
    },
    {
      name: 'keys.rewrapTenant (in batches: one event, in the first batch)',
      prepare: async () => {
        const t = await newTenant('rewrap');
        for (const name of ['a', 'b', 'c']) await coffer.secrets.put(t, name, VALUE);
        await coffer.keys.rotateTenantKey(t);
        return {
          call: (v) => v.keys.rewrapTenant(t, { batchSize: 1 }),
          events: () => [{ action: 'key.rewrap', tenant: t, target: `${t}/v2`, details: { keyId: `${t}/v2`, rewrapped: 3 } }],
          state: () => tenantKeys(t),
        };
      },
      failing: async () => {
        const t = tenantId('gone');
        return { call: (v) => v.keys.rewrapTenant(t), code: 'TENANT_NOT_FOUND', event: { action: 'key.rewrap', tenant: t } };
      },
    },
    {
      name: 'keys.rewrapAll (one event per tenant)',
      prepare: async () => {
        const t = await newTenant('rewrapall');
        for (const name of ['a', 'b']) await coffer.secrets.put(t, name, VALUE);
        await coffer.keys.rotateTenantKey(t);
        return {
          call: (v) => v.keys.rewrapAll(),
          events: (r: { tenant: string; keyId: string; rewrapped: number }[]) => {
            expect(r.find((x) => x.tenant === t)).toEqual({ tenant: t, keyId: `${t}/v2`, rewrapped: 2 });
            return r.map((x) => ({ action: 'key.rewrap', tenant: x.tenant, target: x.keyId, details: { keyId: x.keyId, rewrapped: x.rewrapped } }));
          },
          state: async () => (await coffer.keys.status()).tenants.map((k) => [k.id, k.secretVersions]),
        };
      },
      failing: async () => {
        // A tenant whose data key under its old tenant key is corrupt: its rewrap cannot open it.
        const t = await newTenant('broken');
        await coffer.secrets.put(t, 'a', VALUE);
        await coffer.keys.rotateTenantKey(t);
        await withRaw(backend(), async (db) => {
          const [row] = await db.all<{ wrapped_dek: Buffer }>('select wrapped_dek from secret_versions where tenant_id = ?', [t]);
          const flipped = Buffer.from(row!.wrapped_dek);
          flipped[flipped.length - 1]! ^= 1;
          await db.run('update secret_versions set wrapped_dek = ? where tenant_id = ?', [flipped, t]);
        });
        return {
          call: (v) => v.keys.rewrapAll(),
          code: 'DECRYPTION_FAILED',
          event: { action: 'key.rewrap', tenant: t },
          after: () => coffer.tenants.delete(t),
        };
      },
    },
    {
      name: 'keys.retire (a tenant key)',
      prepare: async () => {
        const t = await newTenant('ret');
        await coffer.keys.rotateTenantKey(t);
        return {
          call: (v) => v.keys.retire(`${t}/v1`),
          events: () => [{ action: 'key.retire', tenant: t, target: `${t}/v1` }],
          state: () => tenantKeys(t),
        };
      },
      failing: async () => {
        const t = await newTenant('ret');
        return { call: (v) => v.keys.retire(`${t}/v1`), code: 'KEY_ACTIVE', event: { action: 'key.retire', tenant: t, target: `${t}/v1` } };
      },
    },
    {
      name: 'keys.rotateRootKey (the event is in the switch)',
      prepare: async () => {
        await newTenant('root');
        const moving = await wrappedTenantKeys();
        return {
          call: (v) => v.keys.rotateRootKey(),
          events: (r: { keyId: string; previousKeyId: string; rewrapped: number }) => {
            // Every tenant key moved to the new root key, and the event counted them at the switch.
            expect(r.rewrapped).toBe(moving);
            return [{ action: 'key.rotate_root', tenant: null, target: r.keyId, details: { previous: r.previousKeyId, rewrapped: r.rewrapped } }];
          },
          state: async () => ({ root: await rootKeys(), files: rootKeyFiles() }),
        };
      },
      failing: async () => {
        // Another rotation holds the lease, paused after it recorded its new key.
        let resume!: () => void;
        const paused = new Promise<void>((r) => (resume = r));
        let reached!: () => void;
        const atRecorded = new Promise<void>((r) => (reached = r));
        const running = coffer.keys.rotateRootKey({
          onStep: async (step) => {
            if (step !== 'recorded') return;
            reached();
            await paused;
          },
        });
        await atRecorded;
        return {
          call: (v) => v.keys.rotateRootKey(),
          code: 'ROTATION_IN_PROGRESS',
          event: { action: 'key.rotate_root', tenant: null, target: null },
          after: async () => {
            resume();
            await running;
          },
        };
      },
    },
    {
      name: 'keys.retire (the previous root key)',
      prepare: async () => {
        const { previousKeyId } = await coffer.keys.rotateRootKey();
        return {
          call: (v) => v.keys.retire(previousKeyId),
          events: () => [{ action: 'key.retire', tenant: null, target: previousKeyId }],
          state: async () => ({ root: await rootKeys(), files: rootKeyFiles() }),
        };
      },
      failing: async () => {
        const current = (await coffer.keys.status()).root.find((r) => r.state === 'current')!.id;
        return { call: (v) => v.keys.retire(current), code: 'KEY_ACTIVE', event: { action: 'key.retire', tenant: null, target: current } };
      },
    },
  ];

  for (const method of methods) {
    describe(method.name, () => {
      /** Runs the prepared call on `vault` and checks its events name `who`. */
      async function expectAudited(vault: Coffer, who: { actor: string; ip: string | null; requestId: string | null }) {
        const prepared = await method.prepare();
        const { result, events } = await appendedBy(() => prepared.call(vault));
        const expected = prepared.events(result);
        expect(events).toHaveLength(expected.length);
        events.forEach((e, i) => expect(e).toMatchObject({ ...who, outcome: 'success', code: null, ...expected[i] }));
        expect(JSON.stringify(events)).not.toContain(VALUE);
      }

      it('on the plain vault: audited as actor library', async () => {
        await expectAudited(coffer, { actor: 'library', ip: null, requestId: null });
      });

      it('through coffer.as(actor): audited as that actor, with its address and request id', async () => {
        await expectAudited(coffer.as(WHO), { actor: WHO.actor, ip: WHO.ip, requestId: WHO.requestId });
      });

      it('a failed call is recorded as a failure with its code', async () => {
        const failing = await method.failing();
        try {
          const { events } = await appendedBy(() => expectCode(failing.call(coffer.as(WHO)), failing.code));
          const failures = events.filter((e) => e.outcome !== 'success');
          expect(failures).toEqual([expect.objectContaining({ ...WHO, outcome: 'failure', code: failing.code, ...failing.event })]);
          expect(JSON.stringify(events)).not.toContain(VALUE);
        } finally {
          await failing.after?.();
        }
      });

      it('with the audit log refusing events: AUDIT_UNAVAILABLE, and nothing is changed', async () => {
        const prepared = await method.prepare();
        const before = await prepared.state();
        const seq = await headSeq();
        await withAuditRefused(backend(), () => expectCode(prepared.call(coffer.as(WHO)), 'AUDIT_UNAVAILABLE'));
        expect(await prepared.state()).toEqual(before);
        expect(await headSeq()).toBe(seq);
        // Writable again, the same call goes through (and the chain still verifies).
        await prepared.call(coffer);
        expect(await prepared.state()).not.toEqual(before);
        expect((await coffer.audit.verify()).ok).toBe(true);
      });
    });
  }
});

/**
 * Replicas of one service start at once on an empty PostgreSQL: one makes the first token and
 * records it, the other finds it and records nothing. (On SQLite the file's write lock
 * serialises starts, and two vaults in one process cannot contend for it: better-sqlite3 waits
 * for a lock synchronously, holding the event loop the other one needs.)
 */
describe.skipIf(!BACKENDS.includes('postgres'))('createBootstrapToken: replicas starting together [postgres]', () => {
  it('make one token and record one event', async () => {
    const scratch = await makeBackend('postgres');
    const replicas = [await openCoffer(scratch), await openCoffer(scratch)];
    try {
      const made = await Promise.all(replicas.map((r) => r.tokens.createBootstrapToken()));
      expect(made.filter((m) => m !== null)).toHaveLength(1);
      expect((await replicas[0]!.audit.list({ action: 'token.create' })).items.map((e) => [e.actor, e.outcome])).toEqual([['system:bootstrap', 'success']]);
    } finally {
      for (const r of replicas) await r.close();
      await scratch.dispose();
    }
  });
});
