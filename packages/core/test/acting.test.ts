/**
 * `coffer.as(actor)` (issue 9 §1): the whole vault acting as someone. Every audited call listed
 * in AUDITED_CALLS gets the actor in its options; everything else is the vault's own; a call
 * on the plain vault is audited as `library`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actingModule, AUDITED_CALLS } from '../src/acting.js';
import type { Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { openCoffer, tenantId } from './helpers.js';

describe('actingModule', () => {
  class Module {
    calls: unknown[][] = [];
    readonly name = 'm';
    change(id: string, options: { keep?: number; as?: unknown } = {}) {
      this.calls.push([id, options]);
      return this;
    }
    read(id: string) {
      return `${this.name}:${id}`;
    }
  }
  const who = { actor: 'job:x' };

  it("merges the actor into the options at the listed position, keeping the caller's options, and runs on the module", () => {
    const m = new Module();
    const acting = actingModule(m, who, { change: 1 });
    expect(acting.change('a', { keep: 1 })).toBe(m);
    acting.change('b');
    expect(m.calls).toEqual([
      ['a', { keep: 1, as: who }],
      ['b', { as: who }],
    ]);
  });

  it('an actor the caller passes in options cannot override the acting one', () => {
    const m = new Module();
    actingModule(m, who, { change: 1 }).change('a', { as: { actor: 'admin-impersonated' } });
    expect(m.calls[0]![1]).toEqual({ as: who });
  });

  it("other methods and fields are the module's own, bound to it; the wrapper cannot be written", () => {
    const m = new Module();
    const acting = actingModule(m, who, { change: 1 });
    const { read } = acting;
    expect(read('z')).toBe('m:z');
    expect(acting.name).toBe('m');
    expect(acting.calls).toBe(m.calls);
    expect(() => {
      (acting as { calls: unknown[] }).calls = [];
    }).toThrow(TypeError);
    expect(acting.calls).toBe(m.calls);
  });

  it('an audited method detached from its acting module refuses to run (it would not know who acts)', () => {
    const m = new Module();
    const { change } = actingModule(m, who, { change: 1 });
    expect(() => change('a')).toThrow(/not detached/);
    expect(m.calls).toEqual([]);
  });

  it('refuses a listed name that is not a method', () => {
    expect(() => actingModule(new Module(), who, { name: 0 })).toThrow(/not a method/);
  });
});

forEachBackend('coffer.as(actor)', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
  });
  afterAll(async () => {
    await coffer?.close();
  });

  it('every audited call exists, and takes its options at the listed position (its last parameter)', () => {
    for (const [module, calls] of Object.entries(AUDITED_CALLS)) {
      for (const [method, at] of Object.entries(calls)) {
        const fn = (coffer as unknown as Record<string, Record<string, unknown>>)[module]![method];
        expect(typeof fn, `${module}.${method}`).toBe('function');
        // Function.length counts the parameters before the first default: the options are the
        // last parameter, defaulted (length === at) or required (length === at + 1).
        expect([at, at + 1], `${module}.${method} options position`).toContain((fn as (...a: unknown[]) => unknown).length);
      }
    }
  });

  it('acts as the actor everywhere, shares the vault, and can act as someone else again', async () => {
    const acting = coffer.as({ actor: 'job:sync', ip: '10.0.0.7', requestId: 'req-42' });
    expect(acting.audit).toBe(coffer.audit);
    expect(acting.providers).toBe(coffer.providers);
    expect(acting.database).toBe(coffer.database);
    const t1 = tenantId('act');
    const t2 = tenantId('act');
    const t3 = tenantId('act');
    await acting.tenants.create(t1);
    await acting.as({ actor: 'job:other' }).tenants.create(t2);
    await coffer.tenants.create(t3);
    // The acting vault reads the same data as the vault itself.
    expect((await acting.tenants.list()).map((t) => t.id)).toEqual(expect.arrayContaining([t1, t2, t3]));
    const created = async (t: string) => (await coffer.audit.list({ tenant: t, action: 'tenant.create' })).items[0];
    expect(await created(t1)).toMatchObject({ actor: 'job:sync', ip: '10.0.0.7', requestId: 'req-42', target: t1, outcome: 'success' });
    expect(await created(t2)).toMatchObject({ actor: 'job:other', ip: null, requestId: null });
    expect(await created(t3)).toMatchObject({ actor: 'library', ip: null, requestId: null });
  });

  it('a failed change is recorded as a failure with its code, under the acting actor', async () => {
    const t = tenantId('act');
    await coffer.tenants.create(t);
    await expect(coffer.as({ actor: 'job:dup' }).tenants.create(t)).rejects.toMatchObject({ code: 'TENANT_EXISTS' });
    const events = (await coffer.audit.list({ tenant: t, action: 'tenant.create' })).items;
    expect(events.map((e) => [e.actor, e.outcome, e.code])).toEqual([
      ['job:dup', 'failure', 'TENANT_EXISTS'],
      ['library', 'success', null],
    ]);
  });
});
