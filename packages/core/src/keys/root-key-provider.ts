/**
 * Where the root key comes from. Coffer never stores the root key in its database; a provider
 * hands it over at start-up. Two providers ship: an environment variable and a file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { CofferError } from '../errors.js';
import { KEY_BYTES } from '../crypto/envelope.js';
import { matchesKeyCheckValue, rootKeyId } from '../crypto/key-check.js';

export interface RootKeyMaterial {
  /** The key new wraps use. */
  readonly current: Buffer;
  /** Older keys still accepted for unwrapping, during a rotation. */
  readonly previous: readonly Buffer[];
  /** A key written by an unfinished rotation (file provider only). */
  readonly pending?: Buffer;
}

/**
 * Rotation support for a provider that can hold a new key itself (the key file). Every step is
 * written so that a crash between two of them leaves files from which the key the database
 * names can be loaded; nothing here is ever called at start-up except through a rotation that
 * holds the rotation lease.
 */
export interface RootKeyRotation {
  /** Saves `key` beside the current one (`<path>.next`, 0600, file and directory fsynced), replacing an earlier staged key. */
  stage(key: Buffer): void;
  /** The staged key as it is on disk now (a fresh buffer the caller zeroes), or undefined. */
  readStaged(): Buffer | undefined;
  /**
   * Makes the staged key current once the database has moved to it. The replaced key is kept in
   * `<path>.previous` (0600, fsynced) until it is retired. With `expectedKcv`, the staged file
   * must hold that key, and a promotion already done is recognised (idempotent).
   */
  promote(expectedKcv?: string): void;
  /** Removes a retired root key from `<path>.previous` (the file goes once it holds nothing); undefined if it was not there. */
  forget(id: number): KeyFileChange | undefined;
}

/** What retiring a root key changed in the key files. */
export interface KeyFileChange {
  /** The file of previous keys. */
  readonly path: string;
  /** True when the retired key was the last one in it and the file was deleted. */
  readonly deleted: boolean;
}

export interface RootKeyProvider {
  /** Where the key comes from, for messages; never the key. */
  readonly description: string;
  /**
   * True when every `load()` returns new buffers that the caller owns: the keyring then zeroes
   * what it does not keep. Otherwise the keyring copies what it keeps and leaves them alone.
   */
  readonly freshMaterial?: boolean;
  load(): RootKeyMaterial;
  /** Present when the provider can rotate the root key by itself. */
  readonly rotation?: RootKeyRotation;
}

/** Loads the provider's keys once, to fail early on a missing or malformed key, and zeroes what it loaded. */
export function checkRootKeyLoads(provider: RootKeyProvider): void {
  const m = provider.load();
  if (provider.freshMaterial) for (const k of [m.current, ...m.previous, m.pending]) k?.fill(0);
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
    freshMaterial: true,
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

function checkMode(path: string, label: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CofferError(
      'ROOT_KEY_FILE_UNSAFE',
      `${label} ${path} has mode ${mode.toString(8).padStart(4, '0')}; other users must not read it. Run: chmod 600 ${path}`,
    );
  }
}

function readKeyFile(path: string, label: string): Buffer {
  checkMode(path, label);
  return parseRootKey(readFileSync(path, 'utf8'), `${label} ${path}`);
}

/** A key file that may be absent, or vanish between the check and the read (renamed by a promotion). */
function readOptionalKeyFile(path: string, label: string): Buffer | undefined {
  try {
    return readKeyFile(path, label);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The previous-keys file: one base64 key a line. */
function readKeyList(path: string, label: string): Buffer[] {
  let text: string;
  try {
    checkMode(path, label);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, i]) => parseRootKey(line, `${label} ${path} (line ${i + 1})`));
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

/** Makes a rename or unlink in `dir` durable: without it a crash may bring back the old directory entry. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // Some platforms cannot open or sync a directory; the rename itself is still atomic there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces `path` with `keys` (one a line, 0600) in one rename: a reader sees the old file or the new one. */
function replaceKeyFile(path: string, keys: readonly Buffer[]): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, keys.map((k) => `${encodeRootKey(k)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never written
    }
    throw err;
  }
  fsyncDir(dirname(path));
}

const zero = (keys: readonly (Buffer | undefined)[]) => keys.forEach((k) => k?.fill(0));

/**
 * A root key file (base64 text, mode 0600). A rotation stages the new key in `<path>.next`,
 * and only after the database has moved to it copies the old key into `<path>.previous` and
 * renames `<path>.next` over `<path>`. Every file is written to a temporary name, fsynced and
 * renamed, and the directory is fsynced, so a crash at any point leaves the key the database
 * names on disk.
 */
export function fileRootKeyProvider(path: string): RootKeyProvider {
  const next = `${path}.next`;
  const previousPath = `${path}.previous`;
  const dir = dirname(path);
  const readCurrent = () => {
    if (!existsSync(path)) {
      throw new CofferError(
        'ROOT_KEY_MISSING',
        `No root key: ${path} does not exist and COFFER_ROOT_KEY is not set. Run \`coffer init\` to create one, or set COFFER_ROOT_KEY_FILE to the key file.`,
      );
    }
    return readKeyFile(path, 'Root key file');
  };
  return {
    description: `root key file ${path}`,
    freshMaterial: true,
    load() {
      // Read in the reverse order of a promotion (previous written, then next renamed over the
      // key file): a promotion running meanwhile cannot leave this load without the new key, nor
      // without the old one.
      const pending = readOptionalKeyFile(next, 'Staged root key file');
      let current: Buffer;
      let previous: Buffer[];
      try {
        current = readCurrent();
        previous = readKeyList(previousPath, 'Previous root key file');
      } catch (err) {
        pending?.fill(0);
        throw err;
      }
      return pending ? { current, previous, pending } : { current, previous };
    },
    rotation: {
      stage(key) {
        replaceKeyFile(next, [key]);
      },
      readStaged() {
        return readOptionalKeyFile(next, 'Staged root key file');
      },
      promote(expectedKcv) {
        const staged = readOptionalKeyFile(next, 'Staged root key file');
        let current: Buffer | undefined;
        let previous: Buffer[] = [];
        try {
          if (!staged) {
            // Renamed already (by this rotation before a crash, or by another process finishing it).
            current = expectedKcv === undefined ? undefined : readCurrent();
            if (current && matchesKeyCheckValue(current, expectedKcv!)) return;
            throw new CofferError('ROOT_KEY_MISSING', `There is no staged root key to promote: ${next} does not exist.`);
          }
          if (expectedKcv !== undefined && !matchesKeyCheckValue(staged, expectedKcv)) {
            throw new CofferError('ROOT_KEY_MISMATCH', `${next} does not hold the root key the database moved to; it was replaced after the switch. Restore it from a backup of the data directory.`);
          }
          current = readCurrent();
          if (!current.equals(staged)) {
            previous = readKeyList(previousPath, 'Previous root key file');
            if (!previous.some((k) => k.equals(current!))) replaceKeyFile(previousPath, [...previous, current]);
          }
          try {
            renameSync(next, path);
          } catch (err) {
            // Another process finishing the same rotation renamed it first.
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            const now = readCurrent();
            const same = now.equals(staged);
            now.fill(0);
            if (!same) throw err;
          }
          fsyncDir(dir);
        } finally {
          zero([staged, current, ...previous]);
        }
      },
      forget(id) {
        const keys = readKeyList(previousPath, 'Previous root key file');
        try {
          const keep = keys.filter((k) => rootKeyId(k) !== id);
          if (keep.length === keys.length) return undefined;
          if (keep.length === 0) {
            unlinkSync(previousPath);
            fsyncDir(dir);
            return { path: previousPath, deleted: true };
          }
          replaceKeyFile(previousPath, keep);
          return { path: previousPath, deleted: false };
        } finally {
          zero(keys);
        }
      },
    },
  };
}
