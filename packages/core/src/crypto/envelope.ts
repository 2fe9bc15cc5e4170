/**
 * Envelope encryption: AES-256-GCM with a random 96-bit nonce and a 128-bit tag, a small
 * self-describing header, and associated data that binds every ciphertext to its place.
 *
 * Pure functions over `node:crypto`: no I/O, no configuration, no key lookups. Callers resolve
 * the key named in the header themselves (see {@link readKeyId}).
 *
 * Layout of format 1 (all integers big-endian):
 *
 * ```
 * offset  size  field
 * 0       1     format version (0x01)
 * 1       4     key id: root key id, tenant key version, or 0 for a value under its own data key
 * 5       12    nonce (random)
 * 17      n     ciphertext
 * 17+n    16    GCM tag
 * ```
 *
 * The associated data is the 5 header bytes followed by {@link encodeContext}: so the header
 * cannot be edited, and a ciphertext copied to another tenant, secret, version or purpose
 * fails authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CofferError } from '../errors.js';

export const FORMAT_VERSION = 1;
export const KEY_BYTES = 32;
export const HEADER_BYTES = 5;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes a sealed blob adds to its plaintext. */
export const OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

const CIPHER = 'aes-256-gcm';
const CONTEXT_LABEL = Buffer.from('coffer\0', 'latin1');
const MAX_KEY_ID = 0xffffffff;

/** What a ciphertext protects; part of the associated data so blobs cannot change roles. */
export type Purpose = 'tenant-key' | 'data-key' | 'value' | 'mask' | 'oauth-session' | 'audit-key';

/** Where a ciphertext lives. All of it is authenticated, none of it is secret. */
export interface CipherContext {
  readonly purpose: Purpose;
  readonly tenant: string;
  /** Internal secret id; empty for tenant keys. */
  readonly secret?: string;
  /** Secret version, or tenant key version for tenant keys. */
  readonly version: number;
}

/**
 * Canonical, unambiguous encoding of a context: each string is length-prefixed so that
 * ("ab","c") and ("a","bc") never collide.
 */
export function encodeContext(ctx: CipherContext): Buffer {
  return encodeAad(undefined, ctx);
}

/** The associated data: header bytes (when given) then the context, in one allocation. */
function encodeAad(head: Uint8Array | undefined, ctx: CipherContext): Buffer {
  const purpose = Buffer.from(ctx.purpose, 'utf8');
  const tenant = Buffer.from(ctx.tenant, 'utf8');
  const secret = Buffer.from(ctx.secret ?? '', 'utf8');
  if (!Number.isInteger(ctx.version) || ctx.version < 0 || ctx.version > MAX_KEY_ID) {
    throw new CofferError('INVALID_ARGUMENT', 'Cipher context version must be a 32-bit unsigned integer.');
  }
  const headLength = head ? HEADER_BYTES : 0;
  const out = Buffer.allocUnsafe(headLength + CONTEXT_LABEL.length + 6 + purpose.length + tenant.length + secret.length + 4);
  if (head) out.set(head.subarray(0, HEADER_BYTES), 0);
  let o = headLength + CONTEXT_LABEL.copy(out, headLength);
  for (const part of [purpose, tenant, secret]) {
    if (part.length > 0xffff) throw new CofferError('INVALID_ARGUMENT', 'Cipher context field too long.');
    o = out.writeUInt16BE(part.length, o);
    o += part.copy(out, o);
  }
  out.writeUInt32BE(ctx.version, o);
  return out;
}

function header(keyId: number): Buffer {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > MAX_KEY_ID) {
    throw new CofferError('INVALID_ARGUMENT', 'Key id must be a 32-bit unsigned integer.');
  }
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt8(FORMAT_VERSION, 0);
  h.writeUInt32BE(keyId, 1);
  return h;
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new CofferError('INVALID_ARGUMENT', `Encryption keys must be ${KEY_BYTES} bytes.`);
  }
}

/**
 * Encrypts `plaintext` under `key`, naming `keyId` in the header.
 *
 * @example
 * const blob = seal(tenantKey, 3, dataKey, { purpose: 'data-key', tenant: 'acme', secret: id, version: 1 });
 */
export function seal(key: Buffer, keyId: number, plaintext: Buffer, ctx: CipherContext): Buffer {
  return sealWithNonce(key, keyId, plaintext, ctx, randomBytes(NONCE_BYTES));
}

/**
 * {@link seal} with a caller-chosen nonce. Only for the committed test vectors: reusing a
 * nonce under one key destroys GCM's guarantees. Not exported from the package.
 */
export function sealWithNonce(key: Buffer, keyId: number, plaintext: Buffer, ctx: CipherContext, nonce: Buffer): Buffer {
  checkKey(key);
  if (nonce.length !== NONCE_BYTES) throw new CofferError('INVALID_ARGUMENT', 'Nonce must be 12 bytes.');
  const head = header(keyId);
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(encodeAad(head, ctx));
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([head, nonce, body, last, cipher.getAuthTag()]);
}

/**
 * Validates the header of a blob and returns the key id it names, so the caller can look up
 * the right key without trial decryption.
 */
export function readKeyId(blob: Uint8Array): number {
  if (blob.length < OVERHEAD_BYTES) {
    throw new CofferError('CIPHERTEXT_MALFORMED', 'Ciphertext is truncated or not in Coffer format.');
  }
  if (blob[0] !== FORMAT_VERSION) {
    throw new CofferError('CIPHERTEXT_UNSUPPORTED_FORMAT', `Ciphertext format ${blob[0]} is not supported by this build of Coffer; upgrade Coffer to read it.`);
  }
  return ((blob[1]! << 24) >>> 0) + (blob[2]! << 16) + (blob[3]! << 8) + blob[4]!;
}

/**
 * Decrypts a blob made by {@link seal}. Fails with `DECRYPTION_FAILED` when the blob, its
 * context or the key is not the one it was sealed with; the error says nothing more, by design.
 */
export function open(key: Buffer, blob: Uint8Array, ctx: CipherContext): Buffer {
  checkKey(key);
  readKeyId(blob);
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const tagStart = buf.length - TAG_BYTES;
  const decipher = createDecipheriv(CIPHER, key, buf.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(encodeAad(buf, ctx));
  decipher.setAuthTag(buf.subarray(tagStart));
  const body = decipher.update(buf.subarray(HEADER_BYTES + NONCE_BYTES, tagStart));
  try {
    const last = decipher.final();
    return last.length === 0 ? body : Buffer.concat([body, last]);
  } catch {
    body.fill(0);
    throw new CofferError(
      'DECRYPTION_FAILED',
      `Decryption failed for a ${ctx.purpose} ciphertext: it was altered, moved from its place, or the key is wrong.`,
      { purpose: ctx.purpose },
    );
  }
}
