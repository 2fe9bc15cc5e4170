/**
 * `coffer.as(actor)`: the vault acting as someone. Each module is offered whole (reads too, so a
 * caller can use one handle for a request), and its audited calls carry the actor into core's
 * audit events. Core writes the events itself (audit/audited.ts); this only says who acts.
 */
import type { Actor } from './audit/audited.js';

/**
 * Where each audited method takes its options (the `as` field goes there). Positions, not
 * names, because options are positional; `acting.test.ts` calls every entry through `as()` and
 * checks the actor reached the audit log, so a wrong position fails there.
 */
export const AUDITED_CALLS = {
  tenants: { create: 1, delete: 1 },
  secrets: { put: 3, reveal: 2, delete: 2, undelete: 2, destroy: 2 },
  tokens: { create: 0, revoke: 1 },
  keys: { rotateTenantKey: 1, rewrapTenant: 1, rewrapAll: 0, rotateRootKey: 0, retire: 1 },
  connections: { create: 2, update: 3, delete: 2, test: 2, refresh: 2, getCredentials: 2, importBatch: 1, storeAuthorization: 3 },
  connect: { create: 2, setReturnOrigins: 2, complete: 3 },
} as const;

type AuditedModule = keyof typeof AUDITED_CALLS;

/**
 * `module` acting as `actor`: its audited methods pass `as: actor` to the module; everything
 * else is the module's own (shared state included). Every method runs on the module itself, so
 * nothing a method does to `this` lands on the wrapper.
 */
export function actingModule<M extends object>(module: M, actor: Actor, calls: Readonly<Record<string, number>>): M {
  const own = new Map<PropertyKey, unknown>();
  for (const [method, at] of Object.entries(calls)) {
    const fn = (module as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`acting: ${method} is not a method`);
    own.set(method, (...args: unknown[]) => {
      const copy = args.slice();
      while (copy.length <= at) copy.push(undefined);
      copy[at] = { ...(copy[at] as object | undefined), as: actor };
      return (fn as (...a: unknown[]) => unknown).apply(module, copy);
    });
  }
  return new Proxy(module, {
    get(target, prop) {
      if (own.has(prop)) return own.get(prop);
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      own.set(prop, bound);
      return bound;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

const ACTOR = Symbol('actor');

/**
 * Makes `as(who)` for the vault `base`: the vault acting as `who` is `base` (through its
 * prototype) with each audited module replaced by one that carries the actor. The getters live
 * on one shared prototype, so a request pays for one small object, and for the modules it uses.
 */
export function actingFactory<C extends object>(base: C, modules: Readonly<Record<AuditedModule, object>>): (who: Actor) => C {
  const proto = Object.create(base) as object;
  for (const name of Object.keys(AUDITED_CALLS) as AuditedModule[]) {
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: { [ACTOR]: Actor }) {
        return actingModule(modules[name], this[ACTOR], AUDITED_CALLS[name]);
      },
    });
  }
  return (who) => {
    const actor: Actor = Object.freeze({ actor: who.actor, ip: who.ip ?? null, requestId: who.requestId ?? null });
    return Object.freeze(Object.create(proto, { [ACTOR]: { value: actor } })) as C;
  };
}
