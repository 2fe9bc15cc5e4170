/**
 * `coffer.as(actor)`: the vault acting as someone. Each module is offered whole (reads too, so a
 * caller can use one handle for a request), and its audited calls carry the actor into core's
 * audit events. Core writes the events itself (audit/audited.ts); this only says who acts.
 */
import type { Actor } from './audit/audited.js';

/**
 * Where each audited method takes its options (the `as` field goes there). Positions, not
 * names, because options are positional; `acting.test.ts` checks each is the method's last
 * parameter, and the audit-policy tests check the actor of every audited call.
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

const ACTOR = Symbol('actor');
interface Holder {
  readonly [ACTOR]: Actor;
}

/**
 * Makes `module`s acting as an actor. Everything is built once per module, on a shared
 * prototype: each audited method passes `as: this[ACTOR]` to the module, every other method is
 * the module's own bound to it, and fields read through to the module (shared state included).
 * So acting as someone costs one small object per module used (measured about 0.2 µs for a
 * request's `coffer.as(actor).secrets`, against 3.5 µs for a Proxy with its own closures), and
 * every method runs on the module itself: nothing it does to `this` lands on the wrapper.
 */
function actingMaker<M extends object>(module: M, calls: Readonly<Record<string, number>>): (actor: Actor) => M {
  for (const [method] of Object.entries(calls)) {
    if (typeof (module as Record<string, unknown>)[method] !== 'function') throw new Error(`acting: ${method} is not a method`);
  }
  const names = new Set<PropertyKey>();
  for (let o: object | null = module; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) if (key !== 'constructor') names.add(key);
  }
  const proto = Object.create(null) as object;
  for (const name of names) {
    const at = typeof name === 'string' && Object.hasOwn(calls, name) ? calls[name]! : undefined;
    const value = Reflect.get(module, name) as unknown;
    if (at !== undefined) {
      const fn = value as (...a: unknown[]) => unknown;
      Object.defineProperty(proto, name, {
        value(this: Holder | undefined, ...args: unknown[]) {
          // Detached from its vault (`const { put } = coffer.as(a).secrets`) it would not know who acts.
          if (this?.[ACTOR] === undefined) throw new TypeError(`acting: call ${String(name)} on coffer.as(actor).<module>, not detached from it`);
          while (args.length <= at) args.push(undefined);
          // The acting actor wins over any `as` the caller put in the options.
          args[at] = { ...(args[at] as object | undefined), as: this[ACTOR] };
          return fn.apply(module, args);
        },
      });
    } else if (typeof value === 'function') {
      Object.defineProperty(proto, name, { value: (value as (...a: unknown[]) => unknown).bind(module) });
    } else {
      Object.defineProperty(proto, name, { get: () => Reflect.get(module, name) });
    }
  }
  // A constructor, not Object.create with descriptors: the cheapest way to make the instance.
  const Acting = function (this: { [ACTOR]: Actor }, actor: Actor) {
    this[ACTOR] = actor;
  } as unknown as new (actor: Actor) => M;
  Acting.prototype = proto;
  return (actor) => new Acting(actor);
}

/** `module` acting as `actor` (see {@link actingMaker}). */
export function actingModule<M extends object>(module: M, actor: Actor, calls: Readonly<Record<string, number>>): M {
  return actingMaker(module, calls)(actor);
}

/**
 * Makes `as(who)` for the vault `base`: the vault acting as `who` is `base` (through its
 * prototype) with each audited module replaced by the module acting as `who`, made on access.
 */
export function actingFactory<C extends object>(base: C, modules: Readonly<Record<AuditedModule, object>>): (who: Actor) => C {
  const proto = Object.create(base) as object;
  for (const name of Object.keys(AUDITED_CALLS) as AuditedModule[]) {
    const make = actingMaker(modules[name], AUDITED_CALLS[name]);
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: Holder) {
        return make(this[ACTOR]);
      },
    });
  }
  const Acting = function (this: { [ACTOR]: Actor }, actor: Actor) {
    this[ACTOR] = actor;
  } as unknown as new (actor: Actor) => C;
  Acting.prototype = proto;
  return (who) => new Acting(Object.freeze({ actor: who.actor, ip: who.ip ?? null, requestId: who.requestId ?? null }));
}
