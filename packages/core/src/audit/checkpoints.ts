/**
 * Signed audit checkpoints (issue 9 §3). A checkpoint is the chain head (seq and hash) and a
 * time, signed with Ed25519 under a key derived from the current audit key. Kept away from the
 * machine, it pins down what the log held up to its seq: whoever later cuts events from the end,
 * or rewrites any event up to it — even holding the root key, and so able to re-MAC the whole
 * chain, or replacing the audit keys to pass the log off as an old unkeyed one — leaves a head
 * below the checkpoint or a different hash at its seq. Anyone can check the signature with the
 * public key alone (`verifyCheckpoint`), no secret needed.
 *
 * It proves nothing about events after it (reported as unanchored), so checkpoints are written
 * often and shipped off the machine as they are made (docs/audit-checkpoints.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { CofferError } from '../errors.js';
import { ed25519KeyId, ed25519Pem, signEd25519, verifyEd25519, type Ed25519KeyPair, type Ed25519PublicKey } from '../crypto/ed25519.js';
import { parseDatabaseUrl, type Store } from '../store/database.js';
import { GENESIS_HASH } from './audit-chain.js';
import type { AuditLog, VerifyResult } from './audit-log.js';

export const CHECKPOINT_FORMAT = 'coffer-audit-checkpoint/1';

/** What is signed: the head, when, and which key signed it. */
export interface CheckpointPayload {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** The newest event covered (0: an empty log). */
  readonly seq: number;
  /** That event's hash (the genesis hash for an empty log). */
  readonly hash: string;
  /** When the checkpoint was made, ISO 8601 UTC. */
  readonly at: string;
  /** The audit key version the signing key is derived from. */
  readonly keyVersion: number;
  /** First 16 hex digits of SHA-256 of the raw public key. */
  readonly keyId: string;
}

/** The file form: the payload, its signature and the public key that checks it (both base64). */
export interface SignedCheckpoint extends CheckpointPayload {
  readonly signature: string;
  readonly publicKey: string;
}

/** The audit keys as the checkpoints use them (keys/audit-keys.ts). */
export interface CheckpointKeys {
  readonly current: { readonly version: number };
  versions(): number[];
  signingKey(version: number): Ed25519KeyPair;
  publicKey(version: number): Ed25519PublicKey | undefined;
}

/** One signing key, in the forms a third party may want. */
export interface CheckpointPublicKey {
  version: number;
  keyId: string;
  /** Whether new checkpoints are signed with it. */
  current: boolean;
  /** Raw 32 bytes, base64. */
  publicKey: string;
  /** SPKI `PUBLIC KEY` PEM. */
  pem: string;
}

export interface CheckpointSignatureCheck {
  ok: boolean;
  /** Why not, when not ok. */
  reason: string | null;
  /** Whether it was checked against a key the caller trusts (otherwise only the file's own key). */
  trustedKey: boolean;
  checkpoint: SignedCheckpoint;
}

export interface CheckpointVerification {
  ok: boolean;
  /** The first problem, null when ok. */
  reason: string | null;
  /** Every problem found, most telling first. */
  problems: string[];
  checkpoint: CheckpointPayload;
  signatureValid: boolean;
  /** Whether the signing key is this vault's audit key of `keyVersion`. */
  vaultKey: boolean;
  /** Events 1 to this seq are proven unchanged since the checkpoint; null when they are not. */
  anchoredThrough: number | null;
  /** Events after the checkpoint, which no checkpoint covers yet. */
  unanchored: number;
  head: { seq: number; hash: string };
  /** The full chain verification; null when the signature was not valid (nothing to compare with). */
  chain: VerifyResult | null;
}

export interface WrittenCheckpoint {
  file: string;
  checkpoint: SignedCheckpoint;
}

const Hex64 = /^[0-9a-f]{64}$/;

const CheckpointSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    hash: z.string().regex(Hex64, 'must be 64 lowercase hex digits'),
    at: z.iso.datetime(),
    keyVersion: z.number().int().min(1).max(0x7fffffff),
    keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)'),
    publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 Ed25519 public key (32 bytes)'),
  })
  .strict();

/**
 * A checkpoint from a file's text or parsed JSON. Malformed: INVALID_ARGUMENT naming the field
 * and the rule, never the received value.
 */
export function parseCheckpoint(input: unknown): SignedCheckpoint {
  let value = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      value = JSON.parse(input.toString());
    } catch {
      throw new CofferError('INVALID_ARGUMENT', 'The checkpoint is not JSON.');
    }
  }
  const parsed = CheckpointSchema.safeParse(value);
  if (parsed.success) return Object.freeze(parsed.data);
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 && typeof issue.path[0] === 'string' && issue.path[0] in CheckpointSchema.shape ? `${issue.path[0]}: ` : '';
  const rule = issue.code === 'unrecognized_keys' ? 'has a field a checkpoint does not have' : issue.message;
  throw new CofferError('INVALID_ARGUMENT', `Not a Coffer audit checkpoint (${CHECKPOINT_FORMAT}): ${field}${rule}.`);
}

/** The signed bytes: the payload's fields in a fixed order, as compact JSON. */
export function canonicalPayload(p: CheckpointPayload): Buffer {
  return Buffer.from(JSON.stringify({ format: p.format, seq: p.seq, hash: p.hash, at: p.at, keyVersion: p.keyVersion, keyId: p.keyId }));
}

const payloadOf = (c: CheckpointPayload): CheckpointPayload => ({ format: c.format, seq: c.seq, hash: c.hash, at: c.at, keyVersion: c.keyVersion, keyId: c.keyId });

/**
 * Checks a checkpoint's signature without any vault: against the public keys the caller trusts
 * (from `coffer audit public-key`, received out of band), or, without them, against the key in the
 * file itself, which only shows the file is unaltered, not who made it. A file whose key is not
 * one of the trusted keys is refused, whatever its signature.
 */
export function verifyCheckpoint(input: unknown, trustedPublicKeys?: readonly Buffer[]): CheckpointSignatureCheck {
  const checkpoint = parseCheckpoint(input);
  const trusted = trustedPublicKeys !== undefined;
  const result = (reason: string | null): CheckpointSignatureCheck => ({ ok: reason === null, reason, trustedKey: trusted, checkpoint });
  const embedded = Buffer.from(checkpoint.publicKey, 'base64');
  if (ed25519KeyId(embedded) !== checkpoint.keyId) return result(`the key id ${checkpoint.keyId} is not that of the public key in the file (altered)`);
  if (trusted && !trustedPublicKeys.some((k) => k.equals(embedded))) {
    return result(`signed with key ${checkpoint.keyId}, which is not a trusted key (${trustedPublicKeys.map(ed25519KeyId).join(', ') || 'none given'})`);
  }
  if (!verifyEd25519(embedded, canonicalPayload(checkpoint), Buffer.from(checkpoint.signature, 'base64'))) {
    return result('the signature does not match the checkpoint (altered, or not signed by this key)');
  }
  return result(null);
}

export interface CheckpointLocations {
  /** The data directory (root key file, SQLite files). */
  dataDir: string;
  /** The database URL: a SQLite file's directory is protected too. */
  databaseUrl: string;
}

/** `path` with symlinks resolved, for a path that may not exist yet (its nearest existing ancestor is resolved). */
function realPath(path: string): string {
  const absolute = resolve(path);
  let existing = absolute;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return join(realpathSync(existing), relative(existing, absolute));
}

const isWithin = (child: string, parent: string): boolean => {
  const rel = relative(parent, child);
  // `..x` is a child named "..x"; only `..` itself or `../…` leaves the parent.
  return !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
};

/**
 * Refuses a checkpoint directory inside the data directory (or a SQLite database's directory),
 * symlinks resolved: a checkpoint kept next to the log it anchors is rewritten with it.
 */
export function assertCheckpointDirAllowed(dir: string, locations: CheckpointLocations): void {
  const target = realPath(dir);
  const protectedDirs = [locations.dataDir];
  const db = parseDatabaseUrl(locations.databaseUrl);
  if (db.dialect === 'sqlite') protectedDirs.push(dirname(resolve(db.target)));
  for (const p of protectedDirs) {
    if (isWithin(target, realPath(p))) {
      throw new CofferError(
        'CONFIG_INVALID',
        `The audit checkpoint directory ${dir} is inside ${p}, where the vault's data lives: a checkpoint kept next to the log it anchors can be rewritten along with it. Use a directory on another disk or machine, or one shipped off the machine (see docs/audit-checkpoints.md).`,
      );
    }
  }
}

const FILE_PATTERN = /^checkpoint-(\d{12,})-[0-9TZ]+\.json$/;

/** `checkpoint-<seq, 12 digits>-<time>.json`: names sort by seq, then by time. */
function fileName(c: CheckpointPayload): string {
  return `checkpoint-${String(c.seq).padStart(12, '0')}-${c.at.replace(/[-:.]/g, '')}.json`;
}

/** The checkpoint files of `dir`, newest first (by seq, then time). */
async function checkpointFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => FILE_PATTERN.test(n));
  return names.sort((a, b) => (a.length !== b.length ? b.length - a.length : a < b ? 1 : a > b ? -1 : 0));
}

/**
 * The newest well-formed checkpoint in `dir` (by seq, then time), or null when it holds none.
 * Files that do not parse are passed over.
 */
export async function newestCheckpoint(dir: string): Promise<WrittenCheckpoint | null> {
  for (const name of await checkpointFiles(dir)) {
    const file = join(dir, name);
    try {
      return { file, checkpoint: parseCheckpoint(await readFile(file, 'utf8')) };
    } catch {
      // A stray or half-copied file: the next one down.
    }
  }
  return null;
}

/** Writes `text` to `file` all or nothing: a temporary file, fsync, rename, then the directory fsync. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename is durable only once the directory entry is.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export class AuditCheckpoints {
  /** The newest checkpoint this process signed or found: the next one must extend it. */
  private anchor: { seq: number; hash: string } | undefined;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly keys: CheckpointKeys,
    private readonly locations: CheckpointLocations,
  ) {}

  /** See {@link verifyCheckpoint}. */
  static verifyCheckpoint = verifyCheckpoint;

  /** The chain head: the newest event's seq and hash. One row read. */
  async head(): Promise<{ seq: number; hash: string }> {
    const row = await this.store.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    if (!row) throw new CofferError('INTERNAL', 'The audit head row is missing.');
    return { seq: Number(row.seq), hash: row.hash };
  }

  /** The hash of event `seq` (the genesis hash for 0), or undefined when there is none. */
  private async hashAt(seq: number): Promise<string | undefined> {
    if (seq === 0) return GENESIS_HASH;
    const row = await this.store.db.selectFrom('audit_events').select('hash').where('seq', '=', seq).executeTakeFirst();
    return row?.hash;
  }

  /**
   * Signs the current head with the current audit key's signing key. Refused with
   * AUDIT_CHECKPOINT_MISMATCH when the log no longer holds the last checkpoint this process
   * signed or found (its tail was cut, or it was rewritten): signing the altered head would let
   * the newest checkpoint vouch for the forgery.
   */
  async create(): Promise<SignedCheckpoint> {
    const head = await this.head();
    await this.assertExtends(this.anchor, head);
    const version = this.keys.current.version;
    const key = this.keys.signingKey(version);
    const payload: CheckpointPayload = { format: CHECKPOINT_FORMAT, seq: head.seq, hash: head.hash, at: new Date().toISOString(), keyVersion: version, keyId: key.keyId };
    const signature = signEd25519(key.privateKey, canonicalPayload(payload));
    // Concurrent calls: the anchor only moves forward.
    if (!this.anchor || head.seq >= this.anchor.seq) this.anchor = { seq: head.seq, hash: head.hash };
    return Object.freeze({ ...payload, signature: signature.toString('base64'), publicKey: key.publicKey.toString('base64') });
  }

  private async assertExtends(anchor: { seq: number; hash: string } | undefined, head: { seq: number }): Promise<void> {
    if (!anchor) return;
    if (head.seq < anchor.seq) {
      throw new CofferError('AUDIT_CHECKPOINT_MISMATCH', `The audit log ends at event ${head.seq}, before the last checkpoint (event ${anchor.seq}): events were cut. No checkpoint was signed; run \`coffer audit verify --checkpoint\`.`);
    }
    if ((await this.hashAt(anchor.seq)) !== anchor.hash) {
      throw new CofferError('AUDIT_CHECKPOINT_MISMATCH', `Audit event ${anchor.seq} no longer has the hash the last checkpoint signed: the log was rewritten. No checkpoint was signed; run \`coffer audit verify --checkpoint\`.`);
    }
  }

  /** Every audit key version's checkpoint public key. */
  publicKeys(): CheckpointPublicKey[] {
    return this.keys.versions().flatMap((version) => {
      const key = this.keys.publicKey(version);
      if (!key) return [];
      return [{ version, keyId: key.keyId, current: version === this.keys.current.version, publicKey: key.publicKey.toString('base64'), pem: ed25519Pem(key.publicKey) }];
    });
  }

  /**
   * Checks the log against a checkpoint: its signature (against `trustedPublicKeys` when given,
   * else its own key) and that its key is this vault's; then the chain intact, the head at or
   * past the checkpoint (else events were cut), and the event at its seq still with its hash
   * (else something up to it was rewritten). Events after it are counted as unanchored.
   */
  async verifyAgainst(input: unknown, options: { trustedPublicKeys?: readonly Buffer[]; onProgress?: (checked: number, total: number) => void } = {}): Promise<CheckpointVerification> {
    const signature = verifyCheckpoint(input, options.trustedPublicKeys);
    const checkpoint = payloadOf(signature.checkpoint);
    const head = await this.head();
    if (!signature.ok) {
      const reason = `the checkpoint's signature is not valid: ${signature.reason}`;
      return { ok: false, reason, problems: [reason], checkpoint, signatureValid: false, vaultKey: false, anchoredThrough: null, unanchored: 0, head, chain: null };
    }
    const problems: string[] = [];
    const own = this.keys.publicKey(checkpoint.keyVersion);
    const vaultKey = own !== undefined && own.publicKey.equals(Buffer.from(signature.checkpoint.publicKey, 'base64'));
    const chain = await this.audit.verify(options.onProgress ? { onProgress: options.onProgress } : {});
    const cut = head.seq < checkpoint.seq;
    const hashAtSeq = cut ? undefined : await this.hashAt(checkpoint.seq);
    if (cut) problems.push(`truncated: events ${head.seq + 1} to ${checkpoint.seq} were cut (the log ends at event ${head.seq}, the checkpoint covers ${checkpoint.seq})`);
    else if (hashAtSeq === undefined) problems.push(`rewritten before the checkpoint: event ${checkpoint.seq} is missing`);
    else if (hashAtSeq !== checkpoint.hash) problems.push(`rewritten before the checkpoint: event ${checkpoint.seq} has hash ${hashAtSeq.slice(0, 16)}…, the checkpoint signed ${checkpoint.hash.slice(0, 16)}…`);
    const broken = chain.firstBroken;
    if (broken) problems.push(broken.seq <= checkpoint.seq ? `rewritten before the checkpoint: ${broken.reason}` : `the chain breaks after the checkpoint: ${broken.reason}`);
    if (!vaultKey) {
      problems.push(
        own
          ? `signed with key ${checkpoint.keyId}, but this vault's audit key v${checkpoint.keyVersion} signs as ${own.keyId}: the audit keys were replaced (or the checkpoint is another vault's)`
          : `signed with audit key v${checkpoint.keyVersion}, which this vault does not hold: the audit keys were replaced (or the checkpoint is another vault's)`,
      );
    }
    // Anchored: the prefix matches a signature the verifier has reason to trust (its own key, or this vault's).
    const trusted = signature.trustedKey || vaultKey;
    const prefixIntact = !cut && hashAtSeq === checkpoint.hash && (!broken || broken.seq > checkpoint.seq);
    return {
      ok: problems.length === 0,
      reason: problems[0] ?? null,
      problems,
      checkpoint,
      signatureValid: true,
      vaultKey,
      anchoredThrough: trusted && prefixIntact ? checkpoint.seq : null,
      unanchored: Math.max(0, head.seq - checkpoint.seq),
      head,
      chain,
    };
  }

  /**
   * Makes a checkpoint and writes it to `dir` as
   * `checkpoint-<seq>-<time>.json`, mode 0600, atomically. Refuses a directory inside the data
   * directory. The first time, the newest checkpoint already in `dir` that this vault signed is
   * taken as the one the new checkpoint must extend.
   */
  async writeTo(dir: string): Promise<WrittenCheckpoint> {
    assertCheckpointDirAllowed(dir, this.locations);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!this.anchor) {
      const found = await this.newestOwn(dir);
      if (found) this.anchor = { seq: found.seq, hash: found.hash };
    }
    const signed = await this.create();
    const file = join(dir, fileName(signed));
    await writeAtomically(file, `${JSON.stringify(signed, null, 2)}\n`);
    return { file, checkpoint: signed };
  }

  /** The newest checkpoint in `dir` (see {@link newestCheckpoint}). */
  newest(dir: string): Promise<WrittenCheckpoint | null> {
    return newestCheckpoint(dir);
  }

  /** The newest checkpoint in `dir` signed by this vault's keys: a planted file cannot pose as the anchor. */
  private async newestOwn(dir: string): Promise<SignedCheckpoint | null> {
    for (const name of await checkpointFiles(dir)) {
      try {
        const c = parseCheckpoint(await readFile(join(dir, name), 'utf8'));
        const own = this.keys.publicKey(c.keyVersion);
        if (own && verifyCheckpoint(c, [own.publicKey]).ok) return c;
      } catch {
        // Not a checkpoint of ours: the next one down.
      }
    }
    return null;
  }
}
