/**
 * Key check values and key ids for root keys: derived one-way from the key with HMAC-SHA256,
 * so the database can recognise the right root key without holding anything that helps to
 * find it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_BYTES } from './envelope.js';

const KCV_LABEL = 'coffer key check value v1';
const ID_LABEL = 'coffer root key id v1';

/** 128-bit key check value, hex. Stored beside the data to detect a wrong key at start-up. */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update(KCV_LABEL).digest().subarray(0, 16).toString('hex');
}

/** Constant-time comparison of a key against a stored check value. */
export function matchesKeyCheckValue(key: Buffer, kcv: string): boolean {
  const expected = Buffer.from(kcv, 'hex');
  const actual = Buffer.from(keyCheckValue(key), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** 32-bit id of a root key, written in the header of every tenant key it wraps. */
export function rootKeyId(key: Buffer): number {
  return createHmac('sha256', key).update(ID_LABEL).digest().readUInt32BE(0);
}

/** A fresh random 256-bit key. */
export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
