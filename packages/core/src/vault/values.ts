/**
 * What a secret may be: names, types, values and metadata, validated before anything is
 * encrypted or stored, and the byte encoding of a value inside its ciphertext.
 */
import { CofferError } from '../errors.js';

/** Values larger than this are refused: a vault holds credentials, not files. */
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_METADATA_BYTES = 8 * 1024;
export const DEFAULT_MAX_VERSIONS = 10;
export const MAX_MAX_VERSIONS = 1000;

export const SECRET_TYPES = ['generic', 'api_key', 'oauth2', 'basic', 'password', 'webhook_secret', 'private_key'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** A field of a structured value. */
export type FieldValue = string | number | boolean | null;
/** A secret value: a string, or a flat JSON object of named fields such as `{client_id, client_secret}`. */
export type SecretValue = string | { readonly [field: string]: FieldValue };
export type Metadata = Record<string, unknown>;

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Free text that is stored in the clear (tenant names, token descriptions): bounded, and no
 * control characters, which PostgreSQL text cannot hold (NUL) or which garble logs and terminals.
 */
export function checkText(value: unknown, what: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length > max || /[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed()) {
    throw new CofferError('INVALID_ARGUMENT', `${what} must be text of at most ${max} characters, without control characters.`);
  }
  return value;
}

export function checkTenantId(id: unknown): string {
  if (typeof id !== 'string' || !TENANT_ID.test(id)) {
    throw new CofferError('TENANT_ID_INVALID', 'Tenant ids are 1-64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit.');
  }
  return id;
}

export function checkSecretName(name: unknown): string {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new CofferError('SECRET_NAME_INVALID', 'Secret names are 1-128 characters: letters, digits, ".", "_" and "-", starting with a letter or digit.');
  }
  return name;
}

export function checkSecretType(type: unknown): SecretType {
  if (!SECRET_TYPES.includes(type as SecretType)) {
    throw new CofferError('SECRET_TYPE_INVALID', `Secret type must be one of: ${SECRET_TYPES.join(', ')}.`);
  }
  return type as SecretType;
}

export function checkMaxVersions(n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_MAX_VERSIONS) {
    throw new CofferError('INVALID_ARGUMENT', `maxVersions must be an integer from 1 to ${MAX_MAX_VERSIONS}.`);
  }
  return n as number;
}

export function checkVersion(n: unknown, what = 'version'): number {
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 0x7fffffff) {
    throw new CofferError('INVALID_ARGUMENT', `${what} must be a positive integer.`);
  }
  return n as number;
}

export function checkCas(n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 0x7fffffff) {
    throw new CofferError('INVALID_ARGUMENT', 'cas must be 0 (create only) or the current version number.');
  }
  return n as number;
}

/** Metadata is stored in the clear: it must be a small JSON object. Never put secrets in it. */
export function checkMetadata(metadata: unknown): string {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new CofferError('METADATA_INVALID', 'Metadata must be a JSON object.');
  }
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch {
    throw new CofferError('METADATA_INVALID', 'Metadata must be plain JSON (no BigInt values, no cycles).');
  }
  // Check what will be stored, not the input: a Date or a toJSON() may turn into a non-object.
  const stored: unknown = JSON.parse(text);
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    throw new CofferError('METADATA_INVALID', 'Metadata must be a JSON object.');
  }
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) {
    throw new CofferError('METADATA_INVALID', `Metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON.`);
  }
  return text;
}

const KIND_STRING = 0;
const KIND_FIELDS = 1;

/**
 * Validates a value and encodes it for encryption: one kind byte, then UTF-8 text
 * (the string itself, or the JSON of the fields).
 */
export function encodeValue(value: unknown): Buffer {
  let kind: number;
  let text: string;
  if (typeof value === 'string') {
    if (value.length === 0) throw new CofferError('SECRET_VALUE_INVALID', 'A secret value must not be empty.');
    if (!value.isWellFormed()) throw new CofferError('SECRET_VALUE_INVALID', 'A secret value must be well-formed Unicode (it has a lone surrogate).');
    kind = KIND_STRING;
    text = value;
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) throw new CofferError('SECRET_VALUE_INVALID', 'A structured secret value needs at least one field.');
    for (const [field, v] of entries) {
      if (!FIELD_NAME.test(field)) throw new CofferError('SECRET_VALUE_INVALID', 'Field names are 1-128 letters, digits, "_", "." or "-".');
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new CofferError('SECRET_VALUE_INVALID', `Field "${field}" must be a string, number, boolean or null; nested values are not supported.`);
      }
      // JSON would silently turn these into something else (null, U+FFFD): refuse rather than change a credential.
      if (typeof v === 'number' && !Number.isFinite(v)) throw new CofferError('SECRET_VALUE_INVALID', `Field "${field}" must be a finite number.`);
      if (typeof v === 'string' && !v.isWellFormed()) throw new CofferError('SECRET_VALUE_INVALID', `Field "${field}" must be well-formed Unicode.`);
    }
    kind = KIND_FIELDS;
    text = JSON.stringify(value);
  } else {
    throw new CofferError('SECRET_VALUE_INVALID', 'A secret value must be a string or a JSON object of named fields.');
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new CofferError('SECRET_VALUE_TOO_LARGE', `Secret values are limited to ${MAX_VALUE_BYTES} bytes; this one has ${bytes}.`, { limit: MAX_VALUE_BYTES, size: bytes });
  }
  const out = Buffer.allocUnsafe(1 + bytes);
  out[0] = kind;
  out.write(text, 1, 'utf8');
  return out;
}

/** Types with a required shape: `basic` needs `{username, password}`. */
export function checkValueShape(value: unknown, type: SecretType): void {
  if (type !== 'basic') return;
  const fields = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || typeof fields.username !== 'string' || typeof fields.password !== 'string') {
    throw new CofferError('SECRET_VALUE_INVALID', 'A basic secret must be a JSON object with string fields "username" and "password".');
  }
}

export function decodeValue(payload: Buffer): SecretValue {
  const text = payload.toString('utf8', 1);
  if (payload[0] === KIND_STRING) return text;
  if (payload[0] === KIND_FIELDS) {
    try {
      return JSON.parse(text) as SecretValue;
    } catch {
      throw new CofferError('CIPHERTEXT_MALFORMED', 'A decrypted structured value is not valid JSON.');
    }
  }
  throw new CofferError('CIPHERTEXT_MALFORMED', 'A decrypted value has an unknown kind byte.');
}
