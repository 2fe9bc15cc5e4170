/**
 * API tokens: `cfr_` + 43 base62 characters of randomness (256 bits) + a 6-character CRC-32
 * checksum, so secret scanners can recognise a leaked token and check it offline. Only the
 * SHA-256 of a token is stored; a token is found by its hash, so the time a lookup takes does
 * not depend on how much of a guess matches.
 */
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import { sql } from 'kysely';
import { CofferError } from '../errors.js';
import type { Store } from '../store/database.js';
import type { ApiTokensTable, TokenKind } from '../store/schema.js';
import { checkTenantId, checkText } from '../vault/values.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditedChange, type Acting, type Actor, type AuditFacts, type ChangeAudit } from '../audit/audited.js';

export const TOKEN_PREFIX = 'cfr_';
export const TENANT_SCOPES = ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read', 'connections:read', 'connections:write'] as const;
export type Scope = (typeof TENANT_SCOPES)[number];
/** The one scope of a metrics token: service-wide metrics, no tenant's data. Never a tenant token's. */
export const METRICS_SCOPE = 'metrics:read';
export type MetricsScope = typeof METRICS_SCOPE;

/**
 * `admin` may do everything; `tenant` acts on one tenant within its scopes; `metrics` may read
 * the service's metrics (a Prometheus scraper's token) and nothing else.
 */
export type ApiTokenKind = TokenKind | 'metrics';

const BODY_CHARS = 43;
/** Advisory lock id for the first-token check on PostgreSQL ("coffer" in ASCII). */
const BOOTSTRAP_LOCK = 0x636f66666572;
const CHECK_CHARS = 6;
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${BODY_CHARS + CHECK_CHARS}}$`);
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_CACHED_TOKENS = 10_000;
/** Writing last_used_at on every request would turn reads into writes; once a minute is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

function base62(bytes: Buffer, width: number): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out.padStart(width, '0');
}

/** CRC-32 of the body in 6 base62 digits. Plain arithmetic: it runs on every request. */
function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECK_CHARS; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** True when `text` has the shape and checksum of a Coffer token (it may still be unknown). */
export function isWellFormedToken(text: string): boolean {
  if (!TOKEN_PATTERN.test(text)) return false;
  const body = text.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + BODY_CHARS);
  return checksum(body) === text.slice(TOKEN_PREFIX.length + BODY_CHARS);
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Who is calling, once a token has been checked. */
export interface Principal {
  readonly tokenId: string;
  readonly kind: ApiTokenKind;
  /** The one tenant a tenant token may touch; null for admin and metrics tokens. */
  readonly tenant: string | null;
  readonly scopes: ReadonlySet<Scope | MetricsScope>;
}

export interface ApiTokenInfo {
  id: string;
  kind: ApiTokenKind;
  tenant: string | null;
  scopes: (Scope | MetricsScope)[];
  description: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** What a token is created with; `as` (set by `coffer.as(actor)`) says who acts in its `token.create` event. */
export interface CreateTokenOptions extends Acting {
  kind: ApiTokenKind;
  /** Required for tenant tokens. */
  tenant?: string;
  /**
   * Required (non-empty) for tenant tokens; admin tokens have every power and take none; a
   * metrics token has `metrics:read` only (given or not).
   */
  scopes?: readonly string[];
  description?: string;
  /** Lifetime in seconds; none means the token lives until revoked. */
  ttlSeconds?: number;
}

/** Who makes the first admin token at a service's first start: the service itself, not a caller. */
export const BOOTSTRAP_ACTOR: Actor = Object.freeze({ actor: 'system:bootstrap' });

/** A token event tells what was made, never the token: its id, kind and scopes. */
function createdFacts(token: ApiTokenInfo): AuditFacts {
  return { target: token.id, details: { kind: token.kind, scopes: token.scopes.join(' ') } };
}

/**
 * How a metrics token is stored. The table's kind column admits `admin` and `tenant` only, so a
 * metrics token is a `tenant` row without a tenant whose only scope is `metrics:read`. The
 * encoding fails closed: code unaware of it sees a tenant token of no tenant with no tenant
 * scope, which no route accepts (an `admin` row would have been the dangerous choice).
 */
const METRICS_ROW = { kind: 'tenant', tenant_id: null, scopes: METRICS_SCOPE } as const;

function kindOf(row: Pick<ApiTokensTable, 'kind' | 'tenant_id' | 'scopes'>): ApiTokenKind {
  return row.kind === METRICS_ROW.kind && row.tenant_id === METRICS_ROW.tenant_id && row.scopes === METRICS_ROW.scopes ? 'metrics' : row.kind;
}

function scopesOf(row: Pick<ApiTokensTable, 'scopes'>): (Scope | MetricsScope)[] {
  return row.scopes === '' ? [] : (row.scopes.split(' ') as (Scope | MetricsScope)[]);
}

function info(row: ApiTokensTable): ApiTokenInfo {
  return {
    id: row.id,
    kind: kindOf(row),
    tenant: row.tenant_id,
    scopes: scopesOf(row),
    description: row.description,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}

export function checkScopes(scopes: readonly unknown[]): Scope[] {
  const out = new Set<Scope>();
  for (const s of scopes) {
    if (s === METRICS_SCOPE) throw new CofferError('SCOPE_INVALID', `${METRICS_SCOPE} is not a tenant scope: create a metrics token (kind "metrics") for a scraper.`);
    if (!TENANT_SCOPES.includes(s as Scope)) {
      throw new CofferError('SCOPE_INVALID', `Unknown scope; scopes are: ${TENANT_SCOPES.join(', ')}.`);
    }
    out.add(s as Scope);
  }
  return [...out];
}

const UNAUTHENTICATED = () => new CofferError('UNAUTHENTICATED', 'The API token is missing, malformed, unknown, expired or revoked.');

const lookups = new WeakMap<Store, Statement<[string], ApiTokensTable>>();

/**
 * Every API request starts here, so on SQLite it is a prepared statement on the read-only
 * connection: it never queues behind a write transaction (an audit commit) on the writer.
 */
async function findTokenByHash(store: Store, hash: string): Promise<ApiTokensTable | undefined> {
  if (store.dialect === 'sqlite') {
    let stmt = lookups.get(store);
    if (!stmt) lookups.set(store, (stmt = store.sqliteReader!.prepare<[string], ApiTokensTable>('select * from api_tokens where token_hash = ?')));
    return stmt.get(hash);
  }
  return store.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export class ApiTokens {
  private readonly lastUsedWritten = new Map<string, number>();
  /**
   * Checked tokens by hash, for `cacheMs`. A revocation in this process drops its entry at
   * once; one made by another process takes effect here within `cacheMs` (default 2 s). Every
   * request starts with this lookup, and on PostgreSQL it is a round trip.
   */
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number | null; validUntil: number }>();

  constructor(
    private readonly store: Store,
    private readonly auditLog: AuditLog,
    private readonly cacheMs = 2000,
  ) {}

  /**
   * Creates a token. The token text is returned once and never stored. Audited as
   * `token.create` (the token's id, kind and scopes) in the transaction that stores it.
   */
  async create(options: CreateTokenOptions): Promise<{ token: string; info: ApiTokenInfo }> {
    // A malformed tenant id is refused before anything is recorded: caller text stays out of the log.
    const eventTenant = options.tenant === undefined ? null : checkTenantId(options.tenant);
    return auditedChange(this.auditLog, options.as, { action: 'token.create', tenant: eventTenant }, (audit) => this.createAudited(options, audit));
  }

  private async createAudited(options: CreateTokenOptions, audit: ChangeAudit): Promise<{ token: string; info: ApiTokenInfo }> {
    const description = checkText(options.description ?? '', 'A token description', 200);
    let tenant: string | null = null;
    let scopes: (Scope | MetricsScope)[] = [];
    let kind: TokenKind = 'admin';
    if (options.kind === 'tenant') {
      kind = 'tenant';
      tenant = checkTenantId(options.tenant);
      scopes = checkScopes(options.scopes ?? []);
      if (scopes.length === 0) throw new CofferError('SCOPE_INVALID', `A tenant token needs at least one scope: ${TENANT_SCOPES.join(', ')}.`);
    } else if (options.kind === 'admin') {
      if (options.tenant !== undefined || (options.scopes && options.scopes.length > 0)) {
        throw new CofferError('SCOPE_INVALID', 'Admin tokens hold every power and take no tenant or scopes.');
      }
    } else if (options.kind === 'metrics') {
      if (options.tenant !== undefined) throw new CofferError('SCOPE_INVALID', 'A metrics token belongs to no tenant: it reads service-wide metrics only.');
      if ((options.scopes ?? []).some((s) => s !== METRICS_SCOPE)) throw new CofferError('SCOPE_INVALID', `A metrics token has the ${METRICS_SCOPE} scope and no other.`);
      kind = METRICS_ROW.kind;
      scopes = [METRICS_SCOPE];
    } else {
      throw new CofferError('INVALID_ARGUMENT', 'Token kind must be admin, tenant or metrics.');
    }
    let expiresAt: number | null = null;
    if (options.ttlSeconds !== undefined) {
      if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 60 || options.ttlSeconds > 10 * 365 * 86400) {
        throw new CofferError('INVALID_ARGUMENT', 'Token lifetimes are from 60 seconds to 10 years.');
      }
      expiresAt = Date.now() + options.ttlSeconds * 1000;
    }
    const body = base62(randomBytes(32), BODY_CHARS);
    const token = `${TOKEN_PREFIX}${body}${checksum(body)}`;
    const row: ApiTokensTable = {
      id: `tok_${randomBytes(8).toString('hex')}`,
      token_hash: hashToken(token),
      kind,
      tenant_id: tenant,
      scopes: scopes.join(' '),
      description,
      created_at: Date.now(),
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
    };
    await this.store.writeTransaction(async (trx) => {
      if (tenant !== null) {
        const t = await trx.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
        if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
      }
      await trx.insertInto('api_tokens').values(row).execute();
      await audit.within(trx, createdFacts(info(row)));
    });
    return { token, info: info(row) };
  }

  /**
   * First start of a service: creates one admin token if there is no token at all, and returns
   * it (to be shown once). Returns null when tokens exist. Safe when replicas start together.
   *
   * Audited as `token.create` by actor `system:bootstrap`, in the transaction that stores the
   * token (no event, no token). A start that finds tokens made nothing and records nothing.
   */
  async createBootstrapToken(): Promise<{ token: string; info: ApiTokenInfo } | null> {
    const body = base62(randomBytes(32), BODY_CHARS);
    const token = `${TOKEN_PREFIX}${body}${checksum(body)}`;
    const row: ApiTokensTable = {
      id: `tok_${randomBytes(8).toString('hex')}`,
      token_hash: hashToken(token),
      kind: 'admin',
      tenant_id: null,
      scopes: '',
      description: 'first admin token, made by coffer serve',
      created_at: Date.now(),
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
    };
    const created = await auditedChange(this.auditLog, BOOTSTRAP_ACTOR, { action: 'token.create' }, (audit) =>
      this.store.writeTransaction(async (trx) => {
        // SQLite's write lock already serialises this; PostgreSQL needs a lock of its own.
        if (this.store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
        const { n } = await trx.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        if (Number(n) > 0) {
          // Tokens exist (made before, or by a replica starting at the same moment): this start
          // changed nothing, so its events, in its transaction, are none.
          audit.nothing();
          return false;
        }
        await trx.insertInto('api_tokens').values(row).execute();
        await audit.within(trx, createdFacts(info(row)));
        return true;
      }),
    );
    return created ? { token, info: info(row) } : null;
  }

  async list(filter: { tenant?: string } = {}): Promise<ApiTokenInfo[]> {
    let q = this.store.db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id');
    if (filter.tenant !== undefined) q = q.where('tenant_id', '=', filter.tenant);
    return (await q.execute()).map(info);
  }

  async get(id: string): Promise<ApiTokenInfo> {
    const row = await this.store.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new CofferError('TOKEN_NOT_FOUND', `No API token ${id.slice(0, 40)}.`);
    return info(row);
  }

  /**
   * Revokes a token at once; idempotent. Audited as `token.revoke` (in the token's tenant) in
   * the transaction that revokes it.
   */
  async revoke(id: string, options: Acting = {}): Promise<ApiTokenInfo> {
    // Text that is not a token id is refused before anything is recorded: it may be a pasted token.
    if (typeof id !== 'string' || !/^tok_[0-9a-f]{16}$/.test(id)) throw new CofferError('TOKEN_NOT_FOUND', 'No such API token.');
    return auditedChange(this.auditLog, options.as, { action: 'token.revoke', target: id }, (audit) =>
      this.store.writeTransaction(async (trx) => {
        await trx.updateTable('api_tokens').set({ revoked_at: Date.now() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
        const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new CofferError('TOKEN_NOT_FOUND', 'No such API token.');
        await audit.within(trx, { tenant: row.tenant_id });
        for (const [hash, entry] of this.cache) if (entry.principal.tokenId === id) this.cache.delete(hash);
        return info(row);
      }),
    );
  }

  /** Drops the cached tokens of a deleted tenant (its token rows went with it). */
  forgetTenant(tenant: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.tenant === tenant) this.cache.delete(hash);
  }

  async count(): Promise<number> {
    const { n } = await this.store.db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }

  /**
   * Checks a presented token. Every failure is the same `UNAUTHENTICATED` error, so a caller
   * learns nothing about which part was wrong.
   */
  async authenticate(token: string): Promise<Principal> {
    if (typeof token !== 'string' || !isWellFormedToken(token)) throw UNAUTHENTICATED();
    const hash = hashToken(token);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.validUntil > now && (cached.expiresAt === null || cached.expiresAt > now)) {
      this.touch(cached.principal.tokenId, now);
      return cached.principal;
    }
    const row = await findTokenByHash(this.store, hash);
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      this.cache.delete(hash);
      throw UNAUTHENTICATED();
    }
    this.touch(row.id, now);
    const principal: Principal = Object.freeze({
      tokenId: row.id,
      kind: kindOf(row),
      tenant: row.tenant_id,
      scopes: new Set(scopesOf(row)),
    });
    if (this.cacheMs > 0) {
      if (this.cache.size >= MAX_CACHED_TOKENS) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { principal, expiresAt: row.expires_at, validUntil: now + this.cacheMs });
    }
    return principal;
  }

  private touch(id: string, now: number): void {
    const last = this.lastUsedWritten.get(id) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(id, now);
    // Not awaited: bookkeeping must not slow down or fail the request it belongs to.
    this.store.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute().catch(() => this.lastUsedWritten.delete(id));
  }
}
