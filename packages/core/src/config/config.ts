/**
 * Configuration, parsed and validated once at the entry point, then frozen and passed down.
 * Nothing in Coffer reads `process.env` except {@link configFromEnv}.
 */
import { resolve, join } from 'node:path';
import { z } from 'zod';
import { CofferError } from '../errors.js';
import { parseAllowlist, parseAllowEntry } from '../outbound/address-policy.js';

export interface CofferConfig {
  /** Directory for the SQLite database and the root key file. Default `./.coffer`. */
  dataDir?: string;
  /** `postgres://…` or `sqlite:<path>` (or a plain path). Default `<dataDir>/coffer.db`. */
  databaseUrl?: string;
  /** Root key: base64 text or 32 bytes. When absent the key file is used. */
  rootKey?: string | Buffer;
  /** Older root keys still accepted for unwrapping during a rotation. */
  previousRootKeys?: ReadonlyArray<string | Buffer>;
  /** Root key file. Default `<dataDir>/root.key`. */
  rootKeyFile?: string;
  /** Register the root key and create the database when they do not exist yet. Default true. */
  createIfMissing?: boolean;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
  /**
   * How long a checked API token is trusted without looking again (ms, default 2000; 0 looks up
   * every time). A revocation by another process takes effect within this time.
   */
  tokenCacheMs?: number;
  /** A directory of the team's own provider definitions (JSON or YAML), added to the built-ins. */
  providersDir?: string;
  /** The tenant whose `oauth-client.<provider>` secrets serve every tenant. Default `global`. */
  oauthGlobalTenant?: string;
  /**
   * CIDRs, IP addresses or host names outbound requests may reach although they are not public
   * (loopback, private, link-local…), and the only hosts plain `http:` may reach. Default none.
   * See docs/outbound.md.
   */
  outboundAllow?: readonly string[];
}

export interface ResolvedConfig {
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly rootKey: string | Buffer | undefined;
  readonly previousRootKeys: ReadonlyArray<string | Buffer>;
  readonly rootKeyFile: string;
  readonly createIfMissing: boolean;
  readonly poolSize: number;
  readonly tokenCacheMs: number;
  readonly providersDir: string | undefined;
  readonly oauthGlobalTenant: string;
  readonly outboundAllow: readonly string[];
}

const nonEmpty = (name: string) => z.string({ error: `${name} must be a string` }).min(1, `${name} must not be empty`);

/** A comma-separated list, trimmed, without empty entries. */
const splitList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

const EnvSchema = z.object({
  COFFER_DATA_DIR: nonEmpty('COFFER_DATA_DIR').optional(),
  COFFER_DATABASE_URL: nonEmpty('COFFER_DATABASE_URL')
    .refine((v) => /^(postgres(ql)?:\/\/|sqlite:)/i.test(v) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(v), 'COFFER_DATABASE_URL must be postgres://… or sqlite:<path>')
    .optional(),
  COFFER_ROOT_KEY: z.string().optional(),
  COFFER_ROOT_KEY_PREVIOUS: z.string().optional(),
  COFFER_ROOT_KEY_FILE: nonEmpty('COFFER_ROOT_KEY_FILE').optional(),
  COFFER_PG_POOL_SIZE: z.coerce.number({ error: 'COFFER_PG_POOL_SIZE must be a number' }).int().min(1).max(1000).optional(),
  COFFER_TOKEN_CACHE_MS: z.coerce.number({ error: 'COFFER_TOKEN_CACHE_MS must be a number' }).int().min(0).max(300_000).optional(),
  COFFER_PROVIDERS_DIR: nonEmpty('COFFER_PROVIDERS_DIR').optional(),
  COFFER_OAUTH_GLOBAL_TENANT: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'COFFER_OAUTH_GLOBAL_TENANT must be a tenant id').optional(),
  COFFER_OUTBOUND_ALLOW: z
    .string()
    .transform((v) => splitList(v))
    .superRefine((entries, ctx) => {
      const bad = entries.find((e) => parseAllowEntry(e) === undefined);
      if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `"${bad}" is not a CIDR (10.0.0.0/8, fd00::/8), an IP address or a host name` });
    })
    .optional(),
});

/** Fills in defaults and validates. The result is frozen. */
export function resolveConfig(config: CofferConfig = {}): ResolvedConfig {
  const dataDir = resolve(config.dataDir ?? '.coffer');
  const poolSize = config.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new CofferError('CONFIG_INVALID', 'poolSize must be a positive integer.');
  if (config.tokenCacheMs !== undefined && (!Number.isInteger(config.tokenCacheMs) || config.tokenCacheMs < 0)) {
    throw new CofferError('CONFIG_INVALID', 'tokenCacheMs must be a non-negative integer (milliseconds).');
  }
  const outboundAllow = (config.outboundAllow ?? []).map((e) => e.trim());
  parseAllowlist(outboundAllow, 'outboundAllow');
  return Object.freeze({
    dataDir,
    databaseUrl: config.databaseUrl ?? `sqlite:${join(dataDir, 'coffer.db')}`,
    rootKey: config.rootKey,
    previousRootKeys: Object.freeze([...(config.previousRootKeys ?? [])]),
    rootKeyFile: resolve(config.rootKeyFile ?? join(dataDir, 'root.key')),
    createIfMissing: config.createIfMissing ?? true,
    poolSize,
    tokenCacheMs: config.tokenCacheMs ?? 2000,
    providersDir: config.providersDir === undefined ? undefined : resolve(config.providersDir),
    oauthGlobalTenant: config.oauthGlobalTenant ?? 'global',
    outboundAllow: Object.freeze(outboundAllow),
  });
}

/**
 * Reads `COFFER_*` variables; `overrides` (command-line flags) win. A bad value stops with a
 * message naming the variable.
 */
export function configFromEnv(env: NodeJS.ProcessEnv, overrides: CofferConfig = {}): ResolvedConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CofferError('CONFIG_INVALID', `${String(issue.path[0] ?? 'configuration')}: ${issue.message}.`);
  }
  const e = parsed.data;
  const fromEnv: CofferConfig = {};
  if (e.COFFER_DATA_DIR) fromEnv.dataDir = e.COFFER_DATA_DIR;
  if (e.COFFER_DATABASE_URL) fromEnv.databaseUrl = e.COFFER_DATABASE_URL;
  // Set but empty is a mistake to report, not a reason to fall back to the key file.
  if (e.COFFER_ROOT_KEY !== undefined) fromEnv.rootKey = e.COFFER_ROOT_KEY;
  if (e.COFFER_ROOT_KEY_PREVIOUS) fromEnv.previousRootKeys = e.COFFER_ROOT_KEY_PREVIOUS.split(',').filter((s) => s.trim() !== '');
  if (e.COFFER_ROOT_KEY_FILE) fromEnv.rootKeyFile = e.COFFER_ROOT_KEY_FILE;
  if (e.COFFER_PG_POOL_SIZE) fromEnv.poolSize = e.COFFER_PG_POOL_SIZE;
  if (e.COFFER_TOKEN_CACHE_MS !== undefined) fromEnv.tokenCacheMs = e.COFFER_TOKEN_CACHE_MS;
  if (e.COFFER_PROVIDERS_DIR) fromEnv.providersDir = e.COFFER_PROVIDERS_DIR;
  if (e.COFFER_OAUTH_GLOBAL_TENANT) fromEnv.oauthGlobalTenant = e.COFFER_OAUTH_GLOBAL_TENANT;
  if (e.COFFER_OUTBOUND_ALLOW) fromEnv.outboundAllow = e.COFFER_OUTBOUND_ALLOW;
  return resolveConfig({ ...fromEnv, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
}
