/**
 * The audit log as the service writes it: one event per audited operation and per failed
 * authentication, with who (token id), what, where and from which address, and never a value or
 * a token; tamper evidence (edits, deletions, reordering, a cut tail) found by GET
 * /v1/audit/verify; fail-closed reveals when the log cannot be written; and group commit under
 * 200 concurrent reveals.
 */
import { spawn } from 'node:child_process';
import { createCoffer } from '@coffer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { withAuditRefused } from '../../core/test/support/audit-refused.js';
import { allAuditRows, expectApiError, expectErrorBody, expectNoneIn, hex, rawDb, startTestServer, type RawDb, type TestServer } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN_ID = /^tok_[0-9a-f]{16}$/;

interface Ev {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  tenant: string | null;
  target: string | null;
  outcome: string;
  code: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  hash: string;
}

const toEv = (r: Record<string, any>): Ev => ({
  seq: r.seq,
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  tenant: r.tenant_id,
  target: r.target,
  outcome: r.outcome,
  code: r.code,
  ip: r.ip,
  requestId: r.request_id,
  details: JSON.parse(r.details),
  hash: r.hash,
});

/** POSTs `n` reveals at once from a child process; reports how many answered 200 with `expected`. */
function revealsFromAnotherProcess(url: string, token: string, tenant: string, name: string, expected: string, n: number): Promise<{ ok: number; matched: number; failures: string[] }> {
  const script = `
    const { URL: url, TOKEN: token, TENANT: tenant, NAME: name, EXPECTED: expected, N: n } = process.env;
    const one = () => fetch(url + '/v1/tenants/' + tenant + '/secrets/' + name + '/reveal', {
      method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: '{}',
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    Promise.all(Array.from({ length: Number(n) }, one)).then((rs) => {
      const failures = rs.filter((r) => r.status !== 200).map((r) => r.status + ' ' + (r.body.error && r.body.error.code)).slice(0, 5);
      console.log(JSON.stringify({ ok: rs.filter((r) => r.status === 200).length, matched: rs.filter((r) => r.body.value === expected).length, failures }));
    }, (e) => { console.log(JSON.stringify({ ok: 0, matched: 0, failures: [String(e)] })); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH ?? '', URL: url, TOKEN: token, TENANT: tenant, NAME: name, EXPECTED: expected, N: String(n) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`the reveal client printed no result:\n${out}\n${err}`));
      }
    });
  });
}

forEachBackend('audit log over HTTP', (backend) => {
  let s: TestServer;
  let db: RawDb;
  /** Every value and token text used in this file: none may appear in any event. */
  const sensitive: string[] = [];
  const value = (p = 'sk_live_') => {
    const v = `${p}${hex(16)}Zz9Q`;
    sensitive.push(v);
    return v;
  };

  beforeAll(async () => {
    s = await startTestServer(backend());
    db = await rawDb(backend());
    sensitive.push(s.adminToken);
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
  });

  const headSeq = async () => (await db.all<{ seq: number }>('select seq from audit_head where id = 1'))[0]!.seq;
  const eventsAfter = async (seq: number) => (await db.all('select * from audit_events where seq > ? order by seq', [seq])).map(toEv);
  /** Runs `op` and returns the one event it appended (fails when it appended none or several). */
  async function oneEvent(what: string, op: () => Promise<unknown>): Promise<Ev> {
    const before = await headSeq();
    await op();
    const events = await eventsAfter(before);
    expect(events.map((e) => e.action), `${what} should append exactly one event`).toHaveLength(1);
    const e = events[0]!;
    expect(e, what).toMatchObject({ seq: before + 1, id: expect.stringMatching(UUID), ip: '127.0.0.1', requestId: expect.stringMatching(UUID), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Math.abs(e.at - Date.now()), what).toBeLessThan(60_000);
    return e;
  }

  describe('one event per operation', () => {
    const T = `zqaud${hex(4)}`;
    const N = `zqsaud${hex(4)}`;
    let tenantToken: { id: string; token: string };

    it('tenant create/delete, token create/revoke, secret write/reveal/delete/undelete/destroy, key rotate/rewrap, auth failure', async () => {
      const admin = s.adminTokenId;
      expect(admin).toMatch(TOKEN_ID);

      expect(await oneEvent('tenant create', () => s.admin.tenants.create(T))).toMatchObject({ actor: admin, action: 'tenant.create', tenant: T, target: T, outcome: 'success', code: null });
      expect(await oneEvent('duplicate tenant create', () => expectApiError(s.admin.tenants.create(T), 409, 'TENANT_EXISTS'))).toMatchObject({
        actor: admin,
        action: 'tenant.create',
        tenant: T,
        target: T,
        outcome: 'failure',
        code: 'TENANT_EXISTS',
      });

      let created: { id: string; token: string } | undefined;
      const tokenCreate = await oneEvent('token create', async () => {
        created = await s.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read'] });
      });
      tenantToken = created!;
      sensitive.push(tenantToken.token);
      expect(tokenCreate).toMatchObject({ actor: admin, action: 'token.create', tenant: T, target: tenantToken.id, outcome: 'success', details: { kind: 'tenant' } });
      const tc = s.client(tenantToken.token);
      const me = tenantToken.id;

      const v1 = value();
      const v2 = value();
      expect(await oneEvent('write', () => tc.secrets.put(T, N, v1))).toMatchObject({ actor: me, action: 'secret.write', tenant: T, target: N, outcome: 'success', details: { version: 1 } });
      await tc.secrets.put(T, N, v2);
      expect(await oneEvent('reveal', () => tc.secrets.reveal(T, N))).toMatchObject({ actor: me, action: 'secret.reveal', tenant: T, target: N, outcome: 'success', details: { version: 2 } });
      expect(await oneEvent('reveal v1', () => tc.secrets.reveal(T, N, { version: 1 }))).toMatchObject({ action: 'secret.reveal', details: { version: 1, requestedVersion: 1 } });
      expect(await oneEvent('failed reveal', () => expectApiError(tc.secrets.reveal(T, 'missing'), 404, 'SECRET_NOT_FOUND'))).toMatchObject({
        actor: me,
        action: 'secret.reveal',
        tenant: T,
        target: 'missing',
        outcome: 'failure',
        code: 'SECRET_NOT_FOUND',
      });
      expect(await oneEvent('CAS failure', () => expectApiError(tc.secrets.put(T, N, value(), { cas: 1 }), 409, 'CAS_MISMATCH'))).toMatchObject({
        action: 'secret.write',
        target: N,
        outcome: 'failure',
        code: 'CAS_MISMATCH',
      });
      expect(await oneEvent('delete', () => tc.secrets.delete(T, N, { version: 1 }))).toMatchObject({ actor: me, action: 'secret.delete', tenant: T, target: N, outcome: 'success', details: { versions: '1' } });
      expect(await oneEvent('undelete', () => tc.secrets.undelete(T, N, [1]))).toMatchObject({ actor: me, action: 'secret.undelete', tenant: T, target: N, outcome: 'success', details: { versions: '1' } });
      expect(await oneEvent('destroy', () => tc.secrets.destroy(T, N, [1]))).toMatchObject({ actor: me, action: 'secret.destroy', tenant: T, target: N, outcome: 'success', details: { versions: '1' } });
      expect(await oneEvent('key rotate', () => s.admin.keys.rotate(T))).toMatchObject({ actor: admin, action: 'key.rotate', tenant: T, target: `${T}/v2`, outcome: 'success' });
      expect(await oneEvent('key rewrap', () => s.admin.keys.rewrap(T))).toMatchObject({ actor: admin, action: 'key.rewrap', tenant: T, outcome: 'success', details: { keyId: `${T}/v2`, rewrapped: 1 } });

      // Authentication failures: anonymous, denied, the address, and for a well-formed token only a fingerprint.
      const unknownButWellFormed = await s.admin.tokens.create({ kind: 'admin' });
      sensitive.push(unknownButWellFormed.token);
      await s.admin.tokens.revoke(unknownButWellFormed.id);
      const revokedUse = await oneEvent('revoked token', () => expectApiError(s.client(unknownButWellFormed.token).tenants.list(), 401, 'UNAUTHENTICATED'));
      expect(revokedUse).toMatchObject({ actor: 'anonymous', action: 'auth.failure', tenant: null, target: null, outcome: 'denied', code: 'UNAUTHENTICATED', details: { tokenFingerprint: expect.stringMatching(/^[0-9a-f]{12}$/) } });
      const garbage = `cfr_garbage_${hex(10)}`;
      sensitive.push(garbage);
      expect(await oneEvent('malformed token', () => expectApiError(s.client(garbage).tenants.list(), 401, 'UNAUTHENTICATED'))).toMatchObject({
        actor: 'anonymous',
        action: 'auth.failure',
        outcome: 'denied',
        details: { tokenFingerprint: null },
      });
      expect(await oneEvent('no token', () => expectApiError(s.client().secrets.list(T), 401, 'UNAUTHENTICATED'))).toMatchObject({ actor: 'anonymous', action: 'auth.failure', tenant: null });

      const revoke = await oneEvent('token revoke', () => s.admin.tokens.revoke(tenantToken.id));
      expect(revoke).toMatchObject({ actor: admin, action: 'token.revoke', target: tenantToken.id, outcome: 'success' });

      expect(await oneEvent('tenant delete', () => s.admin.tenants.delete(T))).toMatchObject({ actor: admin, action: 'tenant.delete', tenant: T, target: T, outcome: 'success' });
      expect(await oneEvent('failed tenant delete', () => expectApiError(s.admin.tenants.delete(T), 404, 'TENANT_NOT_FOUND'))).toMatchObject({
        action: 'tenant.delete',
        outcome: 'failure',
        code: 'TENANT_NOT_FOUND',
      });

      // Reads that return no secret are not audited (list, get, versions, audit list).
      const before = await headSeq();
      await s.admin.tenants.list();
      await s.admin.tokens.list();
      await s.admin.keys.status();
      await s.admin.audit.verify();
      expect(await headSeq()).toBe(before);
    });

    it("token events are tied to their token and tenant: token.create has the token id as target, token.revoke the tenant", async () => {
      const t = `zqtok${hex(4)}`;
      await s.admin.tenants.create(t);
      const tok = await s.admin.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read'] });
      sensitive.push(tok.token);
      await s.admin.tokens.revoke(tok.id);
      const created = (await s.admin.audit.list(t, { action: 'token.create' })).items;
      const revoked = (await s.admin.audit.list(t, { action: 'token.revoke' })).items;
      expect({
        createTarget: created[0]?.target,
        revokeEventsInTenantTrail: revoked.map((e) => e.target),
      }).toEqual({ createTarget: tok.id, revokeEventsInTenantTrail: [tok.id] });
    });

    it('a reveal refused for lack of the secrets:reveal scope (403) is recorded as denied', async () => {
      const t = `zqden${hex(4)}`;
      await s.admin.tenants.create(t);
      await s.admin.secrets.put(t, 'target', value());
      const reader = await s.admin.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read'] });
      sensitive.push(reader.token);
      const before = await headSeq();
      await expectApiError(s.client(reader.token).secrets.reveal(t, 'target'), 403, 'FORBIDDEN');
      const events = await eventsAfter(before);
      expect(events.map((e) => ({ actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, code: e.code }))).toEqual([
        { actor: reader.id, action: 'secret.reveal', target: 'target', outcome: 'denied', code: 'FORBIDDEN' },
      ]);
    });
  });

  describe('tamper evidence (direct SQL on audit_events)', () => {
    let rows: Record<string, any>[];
    const COLUMNS = ['seq', 'id', 'at', 'actor', 'action', 'tenant_id', 'target', 'outcome', 'code', 'ip', 'request_id', 'details', 'prev_hash', 'hash', 'key_version'];

    beforeAll(async () => {
      const t = `zqtam${hex(4)}`;
      await s.admin.tenants.create(t);
      for (let i = 0; i < 6; i++) await s.admin.secrets.put(t, `s${i}`, value());
      rows = await allAuditRows(db);
      expect(rows.length).toBeGreaterThanOrEqual(12);
    });

    const verify = () => s.admin.audit.verify();
    const restoreRow = async (row: Record<string, any>) => {
      await db.run('delete from audit_events where seq = ?', [row.seq]);
      await db.run(`insert into audit_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`, COLUMNS.map((c) => row[c]));
    };
    const expectIntact = async () => expect(await verify()).toEqual({ ok: true, checked: rows.length, firstBroken: null, segments: [{ from: 1, to: rows.length, keyed: true, keyVersion: 1 }] });

    it('an untouched chain verifies', async () => {
      await expectIntact();
    });

    it('an edited field of a middle event is named by its seq', async () => {
      const mid = rows[Math.floor(rows.length / 2)]!;
      const edits: Array<[string, unknown]> = [
        ['target', 'someone-else'],
        ['actor', 'tok_ffffffffffffffff'],
        ['outcome', mid.outcome === 'success' ? 'failure' : 'success'],
        ['details', mid.details === '{}' ? '{"forged":true}' : '{}'],
        ['ip', '10.9.9.9'],
        ['at', mid.at + 1],
      ];
      for (const [column, changed] of edits) {
        expect(await db.run(`update audit_events set ${column} = ? where seq = ?`, [changed, mid.seq])).toBe(1);
        const result = await verify();
        expect(result, `edit of ${column}`).toMatchObject({ ok: false, checked: mid.seq - 1, firstBroken: { seq: mid.seq, reason: expect.stringMatching(/altered/) } });
        await db.run(`update audit_events set ${column} = ? where seq = ?`, [mid[column], mid.seq]);
        await expectIntact();
      }
    });

    it('a deleted middle event is named', async () => {
      const mid = rows[Math.floor(rows.length / 3)]!;
      expect(await db.run('delete from audit_events where seq = ?', [mid.seq])).toBe(1);
      expect(await verify()).toMatchObject({ ok: false, checked: mid.seq - 1, firstBroken: { seq: mid.seq, reason: expect.stringMatching(/missing/) } });
      await restoreRow(mid);
      await expectIntact();
    });

    it('two events swapped (reordered) are detected at the first of them', async () => {
      const i = Math.floor(rows.length / 2);
      const [a, b] = [rows[i]!, rows[i + 3]!];
      const content = COLUMNS.filter((c) => c !== 'seq');
      const swap = async (target: Record<string, any>, source: Record<string, any>) =>
        db.run(`update audit_events set ${content.map((c) => `${c} = ?`).join(', ')} where seq = ?`, [...content.map((c) => source[c]), target.seq]);
      await swap(a, b);
      await swap(b, a);
      const result = await verify();
      expect(result.ok).toBe(false);
      expect(result.firstBroken?.seq).toBe(a.seq);
      await restoreRow(a);
      await restoreRow(b);
      await expectIntact();
    });

    it('events cut from the end are detected (the head no longer matches)', async () => {
      const last = rows.slice(-2);
      expect(await db.run('delete from audit_events where seq >= ?', [last[0]!.seq])).toBe(2);
      expect(await verify()).toMatchObject({ ok: false, checked: rows.length - 2, firstBroken: { seq: last[0]!.seq, reason: expect.stringMatching(/cut from the end/) } });
      for (const r of last) await restoreRow(r);
      await expectIntact();
    });
  });

  describe('fail closed', () => {
    const T = `zqfc${hex(4)}`;
    const secret = value();
    let reveal: { id: string; token: string };

    beforeAll(async () => {
      await s.admin.tenants.create(T);
      await s.admin.secrets.put(T, 'k', secret);
      reveal = await s.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['secrets:reveal', 'secrets:write', 'secrets:read'] });
      sensitive.push(reveal.token);
    });

    /** Makes every audit insert fail for real (the chain and the SQLite outbox), runs `fn`, and always restores them. */
    const withAuditBroken = (fn: () => Promise<void>): Promise<void> => withAuditRefused(backend(), fn);

    it('a reveal whose audit event cannot be written returns 503 AUDIT_UNAVAILABLE and no value; it works again once restored', async () => {
      const before = await headSeq();
      await withAuditBroken(async () => {
        for (const token of [s.adminToken, reveal.token]) {
          const res = await s.request('POST', `/v1/tenants/${T}/secrets/k/reveal`, { token, body: {} });
          expectErrorBody(res, 503, 'AUDIT_UNAVAILABLE');
          expectNoneIn(res.text, [secret, secret.slice(8, 24)], 'the 503 body');
          expectNoneIn(JSON.stringify(res.headers), [secret], 'the 503 headers');
        }
        // A failed authentication is still refused as such (its audit failure is counted, not returned).
        await expectApiError(s.client(`cfr_${'Q'.repeat(49)}`).tenants.list(), 401, 'UNAUTHENTICATED');
        expect((await s.request('GET', '/readyz')).status).toBe(200);
      });
      expect(await headSeq()).toBe(before);
      const ok = await s.request('POST', `/v1/tenants/${T}/secrets/k/reveal`, { token: reveal.token, body: {} });
      expect(ok.status).toBe(200);
      expect(ok.json.value).toBe(secret);
      expect(await headSeq()).toBe(before + 1);
      expect(await s.admin.audit.verify()).toMatchObject({ ok: true, firstBroken: null });
      expectNoneIn(s.logs.join('\n'), [secret], 'the server log');
    });

    it('a write whose audit event cannot be written is refused with 503 AUDIT_UNAVAILABLE and not applied', async () => {
      const attempted = value();
      const before = await headSeq();
      await withAuditBroken(async () => {
        expectErrorBody(await s.request('PUT', `/v1/tenants/${T}/secrets/k`, { token: reveal.token, body: { value: attempted } }), 503, 'AUDIT_UNAVAILABLE');
      });
      expect(await headSeq()).toBe(before);
      const now = await s.admin.secrets.reveal(T, 'k');
      const audited = (await s.admin.audit.list(T, { action: 'secret.write', target: 'k' })).items.map((e) => e.details.version);
      expect({ liveVersion: now.version, liveIsTheRefusedValue: now.value === attempted, auditedWrites: audited }).toEqual({ liveVersion: 1, liveIsTheRefusedValue: false, auditedWrites: [1] });
    });
  });

  describe('group commit', () => {
    let g: TestServer;
    const batches: number[] = [];
    const T = `zqgc${hex(4)}`;
    const N = `zqsgc${hex(4)}`;
    const secret = value();

    beforeAll(async () => {
      const coffer = await createCoffer({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl }, { onAuditCommit: (n) => batches.push(n) });
      g = await startTestServer(backend(), { coffer });
      sensitive.push(g.adminToken);
      await g.admin.tenants.create(T);
      await g.admin.secrets.put(T, N, secret);
    });
    afterAll(async () => {
      await g?.close();
      await g?.coffer.close();
    });

    it('200 concurrent reveals all succeed, with 200 events at consecutive seqs and a chain that verifies', async () => {
      const token = (await g.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['secrets:reveal'] })).token;
      sensitive.push(token);
      batches.length = 0;
      const before = await headSeq();
      // Fired from another process: a client sharing the server's event loop would feed it one
      // request at a time and hide (or fake) any grouping.
      const result = await revealsFromAnotherProcess(g.url, token, T, N, secret, 200);
      expect(result).toEqual({ ok: 200, matched: 200, failures: [] });

      const events = await eventsAfter(before);
      expect(events).toHaveLength(200);
      expect(events.every((e) => e.action === 'secret.reveal' && e.target === N && e.outcome === 'success')).toBe(true);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => before + 1 + i));
      expect(new Set(events.map((e) => e.requestId)).size).toBe(200);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
      expect(await g.admin.audit.verify()).toMatchObject({ ok: true, firstBroken: null });
    });

    it('concurrent appends share commits (fewer commits than events)', async () => {
      // The test above ran 200 reveals at once; its commits were recorded by onAuditCommit.
      expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
      expect(batches.length, `commit sizes: ${batches.join(',')}`).toBeLessThan(200);
      expect(Math.max(...batches)).toBeGreaterThan(1);
    });
  });

  it('no event anywhere holds a secret value or a token', async () => {
    const rowsText = JSON.stringify(await allAuditRows(db));
    expect(sensitive.length).toBeGreaterThan(10);
    expectNoneIn(rowsText, sensitive, 'audit_events');
    // Not even a long run of a token's random body.
    for (const t of sensitive.filter((x) => x.startsWith('cfr_'))) expectNoneIn(rowsText, [t.slice(4, 24), t.slice(-20)], 'audit_events');
    const actors = new Set((await allAuditRows(db)).map((r) => r.actor as string));
    // Token ids and anonymous callers; core's own actors: the service making the first admin token
    // at start, and the vault used directly (the harness makes an admin token for a second server).
    const CORE_ACTORS = ['anonymous', 'system:bootstrap', 'library'];
    for (const a of actors) expect(CORE_ACTORS.includes(a) || TOKEN_ID.test(a), `actor ${a}`).toBe(true);
  });
});
