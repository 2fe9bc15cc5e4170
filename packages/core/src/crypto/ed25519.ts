/**
 * Ed25519 for signed audit checkpoints, as pure functions: a key pair derived from a secret (so
 * the signing key needs no storage of its own), public keys in the forms people pass around (raw
 * 32 bytes, base64, PEM/SPKI), a short key id, and signing and verification.
 */
import { createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors.js';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** DER of a PKCS#8 Ed25519 private key, up to the 32-byte seed (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER of an SPKI Ed25519 public key, up to the 32-byte key (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Ed25519PublicKey {
  /** The raw 32-byte public key. */
  readonly publicKey: Buffer;
  /** First 16 hex digits of SHA-256 of the raw public key: short enough to compare by eye. */
  readonly keyId: string;
}

export interface Ed25519KeyPair extends Ed25519PublicKey {
  readonly privateKey: KeyObject;
}

export function ed25519KeyId(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/**
 * The key pair whose seed is HKDF-SHA256(ikm, empty salt, `info`). The seed and the DER holding
 * it are zeroed before returning; the KeyObject cannot be (OpenSSL clears it when it is freed).
 */
export function deriveEd25519(ikm: Buffer, info: string): Ed25519KeyPair {
  // Buffer.from(ArrayBuffer) shares the memory, so zeroing the view zeroes the HKDF output.
  const seed = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
  // Buffer.alloc, not concat: a pooled buffer would leave the seed in a shared slab.
  const der = Buffer.alloc(PKCS8_PREFIX.length + seed.length);
  try {
    PKCS8_PREFIX.copy(der);
    seed.copy(der, PKCS8_PREFIX.length);
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicKey = rawPublicKey(createPublicKey(privateKey));
    return { privateKey, publicKey, keyId: ed25519KeyId(publicKey) };
  } finally {
    seed.fill(0);
    der.fill(0);
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const spki = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - ED25519_PUBLIC_KEY_BYTES));
}

function publicKeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** The public key as a PEM `PUBLIC KEY` (SPKI) block, what OpenSSL and most libraries read. */
export function ed25519Pem(publicKey: Buffer): string {
  return publicKeyObject(publicKey).export({ format: 'pem', type: 'spki' }).toString();
}

export function signEd25519(privateKey: KeyObject, message: Buffer): Buffer {
  return sign(null, message, privateKey);
}

export function verifyEd25519(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // A 32-byte string that is not a point on the curve.
    return false;
  }
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/**
 * The Ed25519 public keys in a text a person was given: PEM `PUBLIC KEY` blocks, or lines of raw
 * keys in base64 (the forms `coffer audit public-key` prints), `#` comments and blank lines
 * ignored. Refuses anything else, so a mistyped file cannot pass as "no key".
 */
export function parseEd25519PublicKeys(text: string): Buffer[] {
  const keys: Buffer[] = [];
  const pems = text.match(PEM_BLOCK) ?? [];
  for (const pem of pems) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch {
      throw new CofferError('INVALID_ARGUMENT', 'A PEM block in the public key file is not a public key.');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new CofferError('INVALID_ARGUMENT', `The public key file holds a ${key.asymmetricKeyType ?? 'non-Ed25519'} key; audit checkpoints are signed with Ed25519.`);
    keys.push(rawPublicKey(key));
  }
  const rest = text.replace(PEM_BLOCK, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of rest) {
    const raw = /^[A-Za-z0-9+/]{43}=$/.test(line) ? Buffer.from(line, 'base64') : undefined;
    if (!raw || raw.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new CofferError('INVALID_ARGUMENT', 'The public key file must hold PEM "PUBLIC KEY" blocks or raw Ed25519 keys in base64 (44 characters), one a line.');
    }
    keys.push(raw);
  }
  if (keys.length === 0) throw new CofferError('INVALID_ARGUMENT', 'The public key file holds no public key.');
  return keys;
}
