/**
 * The library entry point: `createCoffer(config)` opens the database, applies migrations,
 * verifies the root key and returns the vault. `initCoffer` is what `coffer init` runs.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { CofferError } from './errors.js';
import { resolveConfig, type CofferConfig, type ResolvedConfig } from './config/config.js';
import { generateKey } from './crypto/key-check.js';
import { KeyAdmin } from './keys/key-admin.js';
import { Keyring } from './keys/keyring.js';
import { AuditKeys } from './keys/audit-keys.js';
import {
  envRootKeyProvider,
  fileRootKeyProvider,
  staticRootKeyProvider,
  checkRootKeyLoads,
  writeKeyFile,
  type RootKeyProvider,
} from './keys/root-key-provider.js';
import { openStore, parseDatabaseUrl, type Store } from './store/database.js';
import { migrateToLatest, type MigrationProgress } from './store/migrations/index.js';
import { Secrets } from './vault/secrets.js';
import type { Actor } from './audit/audited.js';
import { actingFactory } from './acting.js';
import { Tenants } from './tenants/tenants.js';
import { ApiTokens } from './tokens/api-tokens.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditCheckpoints } from './audit/checkpoints.js';
import { Connections } from './connections/connections.js';
import { ConnectSessions } from './oauth/connect-sessions.js';
import { TokenRefresher } from './oauth/token-refresher.js';
import { loadProviderCatalog, type ProviderCatalog } from './providers/catalog.js';
import { createOutbound } from './outbound/http.js';

export interface Coffer {
  readonly tenants: Tenants;
  readonly secrets: Secrets;
  readonly keys: KeyAdmin;
  readonly tokens: ApiTokens;
  readonly audit: AuditLog;
  /** Signed checkpoints of the audit chain head, and verification of the log against them. */
  readonly checkpoints: AuditCheckpoints;
  readonly connections: Connections;
  /** OAuth connect sessions (authorization code flow with PKCE). */
  readonly connect: ConnectSessions;
  /** Keeps OAuth tokens fresh: on demand through `connections.getCredentials`, and `refreshDue` for the proactive job. */
  readonly refresher: TokenRefresher;
  /** The provider catalog: built-in definitions plus the team's own (COFFER_PROVIDERS_DIR). */
  readonly providers: ProviderCatalog;
  readonly config: ResolvedConfig;
  /** Where the data lives, without credentials. */
  readonly database: string;
  /**
   * The vault acting as `who` (an API token id, `cli:<user>`, with its address and request id):
   * core audits every change and every call where plaintext leaves it with that actor. Calls
   * made on the vault itself are audited as actor `library`.
   *
   * @example
   * await coffer.as({ actor: 'job:nightly-sync' }).secrets.reveal('acme', 'shopify_token');
   */
  as(who: Actor): Coffer;
  /** Resolves when the database answers and the root key is still the current one; throws otherwise. */
  ready(): Promise<void>;
  /** Closes the database and zeroes cached keys. */
  close(): Promise<void>;
}

export interface OpenHooks {
  /** Called after each committed audit batch with its size. */
  onAuditCommit?: (events: number) => void;
  /** Called for each migration applied at start-up. */
  onMigration?: MigrationProgress;
  /** Token refresh tuning (tests shorten the lease and the back-off). */
  refresh?: { leaseMs?: number; minAttemptIntervalMs?: number; waitMs?: number };
  /** Accept an unregistered current root key because a root rotation is about to adopt it. */
  allowRootRotation?: boolean;
}

function rootKeyProvider(config: ResolvedConfig): RootKeyProvider {
  if (config.rootKey === undefined) return fileRootKeyProvider(config.rootKeyFile);
  if (Buffer.isBuffer(config.rootKey)) {
    const previous = config.previousRootKeys.map((k) => (Buffer.isBuffer(k) ? k : Buffer.from(k, 'base64')));
    return staticRootKeyProvider(config.rootKey, previous);
  }
  return envRootKeyProvider(config.rootKey, config.previousRootKeys.map((k) => (Buffer.isBuffer(k) ? k.toString('base64') : k)).join(','));
}

async function openAndMigrate(config: ResolvedConfig, hooks: OpenHooks): Promise<Store> {
  const store = await openStore(parseDatabaseUrl(config.databaseUrl), { poolSize: config.poolSize });
  try {
    await migrateToLatest(store.db, store.dialect, hooks.onMigration);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * Opens a vault.
 *
 * @example
 * const coffer = await createCoffer({ dataDir: './.coffer' });
 * await coffer.tenants.create('acme');
 * await coffer.secrets.put('acme', 'shopify_token', 'shpat_…', { type: 'api_key' });
 * const { value } = await coffer.secrets.reveal('acme', 'shopify_token');
 */
export async function createCoffer(input: CofferConfig | ResolvedConfig = {}, hooks: OpenHooks = {}): Promise<Coffer> {
  const config = Object.isFrozen(input) ? (input as ResolvedConfig) : resolveConfig(input as CofferConfig);
  const provider = rootKeyProvider(config);
  const location = parseDatabaseUrl(config.databaseUrl);
  if (location.dialect === 'sqlite' && !config.createIfMissing && !existsSync(location.target)) {
    throw new CofferError('NOT_INITIALIZED', `No Coffer database at ${location.target}. Run \`coffer init\` first, or point COFFER_DATA_DIR / COFFER_DATABASE_URL at an existing one.`);
  }
  // A bad provider definition stops start-up before anything else is opened.
  const providers = loadProviderCatalog(config.providersDir ? { dir: config.providersDir } : {});
  const firstRun = config.createIfMissing && config.rootKey === undefined && !existsSync(config.rootKeyFile);
  // A missing, short or unreadable key stops here, before the database is touched.
  if (!firstRun) checkRootKeyLoads(provider);
  const store = await openAndMigrate(config, hooks);
  let keyring: Keyring | undefined;
  let auditKeys: AuditKeys | undefined;
  try {
    if (firstRun) await createRootKeyFile(config, store);
    keyring = await Keyring.open(store, provider, {
      createIfMissing: config.createIfMissing,
      ...(hooks.allowRootRotation ? { allowRootRotation: true } : {}),
    });
    // Unwrapped once here (made on first open), so every process verifies the chain it writes.
    auditKeys = await AuditKeys.open(store, keyring);
    const audit = new AuditLog(store, { keys: auditKeys, ...(hooks.onAuditCommit ? { onCommit: hooks.onAuditCommit } : {}) });
    // Change events a crash left in the outbox (SQLite) reach the chain before anything is served.
    await audit.drainOutbox();
    const keys = new KeyAdmin(store, keyring, provider, audit);
    // A root rotation interrupted in another process is finished (or rolled back) here; a
    // process opened to rotate does it in rotateRootKey instead.
    if (!hooks.allowRootRotation) await keys.recoverRootRotation();
    const tokens = new ApiTokens(store, audit, config.tokenCacheMs);
    const secrets = new Secrets(store, keyring, audit);
    // The only way core reaches the network: OAuth, test requests, revocation (and later the proxy).
    const outbound = createOutbound({ allow: config.outboundAllow });
    const oauthOptions = { globalTenant: config.oauthGlobalTenant, validationSeconds: 3600, outbound };
    const connections = new Connections(store, secrets, providers, audit, oauthOptions);
    const refresher = new TokenRefresher(store, secrets, providers, audit, { ...oauthOptions, ...hooks.refresh });
    connections.useRefresher(refresher);
    const modules = {
      tenants: new Tenants(store, keyring, audit, (tenant) => tokens.forgetTenant(tenant)),
      secrets,
      keys,
      tokens,
      connections,
      connect: new ConnectSessions(store, keyring, secrets, providers, connections, audit, oauthOptions),
    };
    const coffer: Coffer = Object.freeze({
      ...modules,
      audit,
      checkpoints: new AuditCheckpoints(store, audit, auditKeys, config),
      refresher,
      providers,
      config,
      database: store.description,
      as: (who: Actor): Coffer => actAs(who),
      ready: () => keyring!.check(),
      async close() {
        // Keys are zeroed once the database is closed: no write still in flight can then seal
        // anything under a zeroed key and commit it.
        try {
          await outbound.close();
          await store.close();
        } finally {
          auditKeys!.close();
          keyring!.close();
        }
      },
    });
    const actAs = actingFactory(coffer, modules);
    return coffer;
  } catch (err) {
    await store.close();
    auditKeys?.close();
    keyring?.close();
    throw err;
  }
}

async function countRootKeys(store: Store): Promise<number> {
  const row = await store.db.selectFrom('root_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** First run: a new root key file, but never for a database that already has a root key. */
async function createRootKeyFile(config: ResolvedConfig, store: Store): Promise<void> {
  if ((await countRootKeys(store)) > 0) {
    throw new CofferError(
      'ROOT_KEY_MISSING',
      `The database already has a root key, but ${config.rootKeyFile} is missing and COFFER_ROOT_KEY is not set. Restore the key file from your backup; a new key cannot open existing data.`,
    );
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  writeKeyFile(config.rootKeyFile, generateKey());
}

export interface InitResult {
  dataDir: string;
  database: string;
  /** Path of the root key file, or undefined when the key came from COFFER_ROOT_KEY. */
  rootKeyFile: string | undefined;
  keyCreated: boolean;
  databaseCreated: boolean;
}

/**
 * Creates the data directory, the root key file (mode 0600) and the database, whichever are
 * missing. Never overwrites a key or a database, and never makes a new key for a database
 * that already has one.
 */
export async function initCoffer(input: CofferConfig = {}, hooks: OpenHooks = {}): Promise<InitResult> {
  const config = resolveConfig({ ...input, createIfMissing: true });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openAndMigrate(config, hooks);
  let registered: number;
  let keyCreated = false;
  try {
    registered = await countRootKeys(store);
    if (config.rootKey === undefined && !existsSync(config.rootKeyFile)) {
      await createRootKeyFile(config, store);
      keyCreated = true;
    }
  } finally {
    await store.close();
  }
  const coffer = await createCoffer(config, hooks);
  await coffer.close();
  return {
    dataDir: config.dataDir,
    database: coffer.database,
    rootKeyFile: config.rootKey === undefined ? config.rootKeyFile : undefined,
    keyCreated,
    databaseCreated: registered === 0,
  };
}
