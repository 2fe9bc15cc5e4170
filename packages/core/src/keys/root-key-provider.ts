/**
 * Where the root key comes from. Coffer never stores the root key in its database; a provider
 * hands it over at start-up. Two providers ship: an environment variable and a file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { CofferError } from '../errors.js';
import { KEY_BYTES } from '../crypto/envelope.js';

export interface RootKeyMaterial {
  /** The key new wraps use. */
  readonly current: Buffer;
  /** Older keys still accepted for unwrapping, during a rotation. */
  readonly previous: readonly Buffer[];
  /** A key written by an unfinished rotation (file provider only). */
  readonly pending?: Buffer;
}

export interface RootKeyProvider {
  /** Where the key comes from, for messages; never the key. */
  readonly description: string;
  load(): RootKeyMaterial;
  /**
   * Rotation support for providers that can hold a new key themselves: `stage` saves the new
   * key beside the current one, `promote` makes it current once the database has moved to it,
   * `discard` drops a staged key the database never adopted.
   */
  readonly rotation?: {
    stage(key: Buffer): void;
    promote(): void;
    discard(): void;
  };
}

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** Parses a base64-encoded 32-byte key. `source` names where it came from for the error. */
export function parseRootKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '') throw new CofferError('ROOT_KEY_MISSING', `${source} is empty. Set it to a base64-encoded 32-byte key (generate one with \`coffer key generate\`).`);
  if (!BASE64_KEY.test(trimmed)) {
    throw new CofferError('ROOT_KEY_INVALID', `${source} must be exactly 32 bytes encoded as base64 (44 characters ending in '='); generate one with \`coffer key generate\`.`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) throw new CofferError('ROOT_KEY_INVALID', `${source} must decode to 32 bytes.`);
  return key;
}

export function encodeRootKey(key: Buffer): string {
  return key.toString('base64');
}

/** `COFFER_ROOT_KEY`, with optional `COFFER_ROOT_KEY_PREVIOUS` (comma-separated) for rotations. */
export function envRootKeyProvider(current: string, previous?: string): RootKeyProvider {
  return {
    description: 'COFFER_ROOT_KEY',
    load() {
      const prev = (previous ?? '')
        .split(',')
        .filter((s) => s.trim() !== '')
        .map((s, i) => parseRootKey(s, `COFFER_ROOT_KEY_PREVIOUS[${i}]`));
      return { current: parseRootKey(current, 'COFFER_ROOT_KEY'), previous: prev };
    },
  };
}

/** A key handed over in code, for the embedded library. */
export function staticRootKeyProvider(current: Buffer, previous: readonly Buffer[] = []): RootKeyProvider {
  if (current.length !== KEY_BYTES) throw new CofferError('ROOT_KEY_INVALID', 'The root key must be 32 bytes.');
  return { description: 'the root key passed to createCoffer', load: () => ({ current, previous }) };
}

function readKeyFile(path: string, label: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CofferError(
      'ROOT_KEY_FILE_UNSAFE',
      `${label} ${path} has mode ${mode.toString(8).padStart(4, '0')}; other users must not read it. Run: chmod 600 ${path}`,
    );
  }
  return parseRootKey(readFileSync(path, 'utf8'), `${label} ${path}`);
}

/** Writes a key file with mode 0600, flushed to disk; refuses to overwrite. */
export function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${encodeRootKey(key)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A root key file (base64 text, mode 0600). Rotation writes `<path>.next` first and renames it
 * over `<path>` only after the database has moved to the new key, so a crash at any point
 * leaves a key that opens the database.
 */
export function fileRootKeyProvider(path: string): RootKeyProvider {
  const next = `${path}.next`;
  return {
    description: `root key file ${path}`,
    load() {
      if (!existsSync(path)) {
        throw new CofferError(
          'ROOT_KEY_MISSING',
          `No root key: ${path} does not exist and COFFER_ROOT_KEY is not set. Run \`coffer init\` to create one, or set COFFER_ROOT_KEY_FILE to the key file.`,
        );
      }
      const current = readKeyFile(path, 'Root key file');
      const pending = existsSync(next) ? readKeyFile(next, 'Staged root key file') : undefined;
      return pending ? { current, previous: [], pending } : { current, previous: [] };
    },
    rotation: {
      stage(key) {
        if (existsSync(next)) unlinkSync(next);
        writeKeyFile(next, key);
      },
      promote() {
        renameSync(next, path);
      },
      discard() {
        if (existsSync(next)) unlinkSync(next);
      },
    },
  };
}
