import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CofferError, type ErrorCode } from '../errors.js';
import { generateKey, keyCheckValue, rootKeyId } from '../crypto/key-check.js';
import { formatRootKeyId, formatTenantKeyId, parseKeyId } from './keyring.js';
import {
  encodeRootKey,
  envRootKeyProvider,
  fileRootKeyProvider,
  parseRootKey,
  staticRootKeyProvider,
  writeKeyFile,
} from './root-key-provider.js';
import { expectCode, thrown } from '../../test/expect-code.js';


/** Obviously fake keys. */
const KEY_A = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY_B = Buffer.alloc(32, 0x42);
const KEY_C = Buffer.alloc(32, 0xc3);
const B64_A = KEY_A.toString('base64');
const B64_B = KEY_B.toString('base64');
const B64_C = KEY_C.toString('base64');

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('parseRootKey', () => {
  it('accepts 44 characters of base64 that decode to 32 bytes', () => {
    expect(B64_A).toHaveLength(44);
    expect(parseRootKey(B64_A, 'COFFER_ROOT_KEY').equals(KEY_A)).toBe(true);
    expect(parseRootKey(B64_B, 'COFFER_ROOT_KEY').equals(KEY_B)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const key = generateKey();
      expect(parseRootKey(encodeRootKey(key), 'x').equals(key)).toBe(true);
    }
  });

  it('ignores surrounding whitespace such as the newline of a key file', () => {
    expect(parseRootKey(`${B64_A}\n`, 'file').equals(KEY_A)).toBe(true);
    expect(parseRootKey(`  ${B64_A}\r\n`, 'file').equals(KEY_A)).toBe(true);
  });

  it.each([
    ['43 characters', B64_A.slice(0, 43)],
    ['45 characters', `${B64_A}=`],
    ['44 characters without padding', B64_A.slice(0, 43) + 'A'],
    ['a 31-byte key', Buffer.alloc(31, 7).toString('base64')],
    ['a 33-byte key', Buffer.alloc(33, 7).toString('base64')],
    ['a 64-byte key', Buffer.alloc(64, 7).toString('base64')],
    ['a 16-byte key', Buffer.alloc(16, 7).toString('base64')],
    ['base64url alphabet', B64_A.replace(/^./, '-').replace(/.(?==$)/, '_')],
    ['hex of 32 bytes', KEY_A.toString('hex')],
    ['inner whitespace', `${B64_A.slice(0, 20)} ${B64_A.slice(21)}`],
    ['not base64 at all', 'this is definitely not a base64 key!!!!!!!!='],
    ['two keys on one line', `${B64_A},${B64_B}`],
  ])('refuses %s with ROOT_KEY_INVALID', (_label, text) => {
    const err = expectCode(() => parseRootKey(text, 'COFFER_ROOT_KEY'), 'ROOT_KEY_INVALID');
    expect(err.message).toContain('COFFER_ROOT_KEY');
    // The message never echoes what was supplied.
    expect(err.message).not.toContain(text.trim());
    expect(err.message).not.toContain(text.trim().slice(0, 12));
    expect(JSON.stringify(err)).not.toContain(text.trim().slice(0, 12));
  });

  it.each(['', ' ', '\n', '\t\r\n  '])('refuses empty text %j with ROOT_KEY_MISSING', (text) => {
    const err = expectCode(() => parseRootKey(text, 'COFFER_ROOT_KEY'), 'ROOT_KEY_MISSING');
    expect(err.message).toContain('COFFER_ROOT_KEY');
  });

  it('does not echo a near-miss key (a real key with one character cut) in the message', () => {
    const key = generateKey();
    const text = encodeRootKey(key).slice(1);
    const err = expectCode(() => parseRootKey(text, 'COFFER_ROOT_KEY'), 'ROOT_KEY_INVALID');
    for (const s of [err.message, JSON.stringify(err), String(err), err.stack ?? '']) {
      expect(s).not.toContain(text.slice(0, 16));
      expect(s).not.toContain(key.toString('hex').slice(0, 16));
    }
  });
});

describe('envRootKeyProvider', () => {
  it('loads the current key and no previous keys', () => {
    const p = envRootKeyProvider(B64_A);
    expect(p.description).toBe('COFFER_ROOT_KEY');
    expect(p.rotation).toBeUndefined();
    const m = p.load();
    expect(m.current.equals(KEY_A)).toBe(true);
    expect(m.previous).toEqual([]);
    expect(m.pending).toBeUndefined();
    expect(envRootKeyProvider(B64_A, '').load().previous).toEqual([]);
  });

  it('loads comma-separated previous keys in order, skipping blanks and whitespace', () => {
    const m = envRootKeyProvider(B64_A, ` ${B64_B} ,, ${B64_C}\n,`).load();
    expect(m.current.equals(KEY_A)).toBe(true);
    expect(m.previous.map((k) => k.toString('hex'))).toEqual([KEY_B.toString('hex'), KEY_C.toString('hex')]);
  });

  it('refuses a bad previous key naming COFFER_ROOT_KEY_PREVIOUS, without echoing it', () => {
    const bad = B64_B.slice(0, 40);
    const err = expectCode(() => envRootKeyProvider(B64_A, `${B64_C},${bad}`).load(), 'ROOT_KEY_INVALID');
    expect(err.message).toContain('COFFER_ROOT_KEY_PREVIOUS[1]');
    expect(err.message).not.toContain(bad);
  });

  it('refuses an empty or bad current key', () => {
    expectCode(() => envRootKeyProvider('').load(), 'ROOT_KEY_MISSING');
    expectCode(() => envRootKeyProvider('   ', B64_B).load(), 'ROOT_KEY_MISSING');
    const err = expectCode(() => envRootKeyProvider('short-key').load(), 'ROOT_KEY_INVALID');
    expect(err.message).not.toContain('short-key');
  });

  it('description never contains the key', () => {
    expect(envRootKeyProvider(B64_A, B64_B).description).not.toContain(B64_A.slice(0, 8));
  });
});

describe('staticRootKeyProvider', () => {
  it('hands over the key and previous keys', () => {
    const m = staticRootKeyProvider(KEY_A, [KEY_B]).load();
    expect(m.current).toBe(KEY_A);
    expect(m.previous).toEqual([KEY_B]);
    expect(staticRootKeyProvider(KEY_A).load().previous).toEqual([]);
  });

  it('refuses a key that is not 32 bytes', () => {
    expectCode(() => staticRootKeyProvider(Buffer.alloc(31)), 'ROOT_KEY_INVALID');
    expectCode(() => staticRootKeyProvider(Buffer.alloc(33)), 'ROOT_KEY_INVALID');
  });
});

describe('key files', () => {
  let dir: string;
  let keyPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-root-key-test-'));
    keyPath = join(dir, 'root.key');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function writeWithMode(path: string, text: string, m: number): void {
    writeFileSync(path, text, { mode: m });
    chmodSync(path, m);
  }

  describe('writeKeyFile', () => {
    it('creates the file with mode 0600 holding the base64 key and a newline', () => {
      writeKeyFile(keyPath, KEY_A);
      expect(mode(keyPath)).toBe(0o600);
      expect(readFileSync(keyPath, 'utf8')).toBe(`${B64_A}\n`);
    });

    it('creates mode 0600 even under a permissive umask', () => {
      let old: number | undefined;
      try {
        old = process.umask(0);
      } catch {
        // process.umask cannot be set in worker threads; the default-umask test above still holds.
      }
      try {
        writeKeyFile(keyPath, KEY_A);
        expect(mode(keyPath)).toBe(0o600);
      } finally {
        if (old !== undefined) process.umask(old);
      }
    });

    it('refuses to overwrite an existing file and leaves it unchanged', () => {
      writeKeyFile(keyPath, KEY_A);
      const err = thrown(() => writeKeyFile(keyPath, KEY_B)) as NodeJS.ErrnoException;
      expect(err.code).toBe('EEXIST');
      expect(readFileSync(keyPath, 'utf8')).toBe(`${B64_A}\n`);
      expect(mode(keyPath)).toBe(0o600);
    });

    it('produces a file fileRootKeyProvider loads', () => {
      writeKeyFile(keyPath, KEY_C);
      expect(fileRootKeyProvider(keyPath).load().current.equals(KEY_C)).toBe(true);
    });
  });

  describe('fileRootKeyProvider', () => {
    it('refuses a missing file with ROOT_KEY_MISSING and points to `coffer init`', () => {
      const err = expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_MISSING');
      expect(err.message).toContain('coffer init');
      expect(err.message).toContain(keyPath);
    });

    it.each([0o644, 0o640, 0o604, 0o660, 0o606, 0o666, 0o777, 0o700 | 0o010])('refuses mode %o with ROOT_KEY_FILE_UNSAFE and says chmod 600', (m) => {
      writeWithMode(keyPath, `${B64_A}\n`, m);
      const err = expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_FILE_UNSAFE');
      expect(err.message).toContain('chmod 600');
      expect(err.message).toContain(keyPath);
      expect(err.message).not.toContain(B64_A);
    });

    it('gives the mode 0644 in the message', () => {
      writeWithMode(keyPath, `${B64_A}\n`, 0o644);
      expect(expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_FILE_UNSAFE').message).toContain('0644');
    });

    it.each([0o600, 0o400])('accepts mode %o', (m) => {
      writeWithMode(keyPath, `${B64_A}\n`, m);
      const material = fileRootKeyProvider(keyPath).load();
      expect(material.current.equals(KEY_A)).toBe(true);
      expect(material.previous).toEqual([]);
      expect(material.pending).toBeUndefined();
    });

    it('refuses a 0600 file with bad contents, without echoing them', () => {
      writeWithMode(keyPath, 'not-a-key-0123456789\n', 0o600);
      const err = expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_INVALID');
      expect(err.message).toContain(keyPath);
      expect(err.message).not.toContain('not-a-key-0123456789');
    });

    it('refuses an empty 0600 file with ROOT_KEY_MISSING', () => {
      writeWithMode(keyPath, '', 0o600);
      expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_MISSING');
    });

    it('description names the file, never the key', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      expect(p.description).toContain(keyPath);
      expect(p.description).not.toContain(B64_A.slice(0, 8));
    });
  });

  describe('rotation', () => {
    const next = () => `${keyPath}.next`;

    it('stage writes <path>.next with mode 0600 and load reports it as pending', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      expect(mode(next())).toBe(0o600);
      expect(readFileSync(next(), 'utf8')).toBe(`${B64_B}\n`);
      const m = p.load();
      expect(m.current.equals(KEY_A)).toBe(true);
      expect(m.pending!.equals(KEY_B)).toBe(true);
      expect(m.previous).toEqual([]);
    });

    it('stage replaces an earlier staged key', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      p.rotation!.stage(KEY_C);
      expect(p.load().pending!.equals(KEY_C)).toBe(true);
      expect(mode(next())).toBe(0o600);
    });

    it('promote makes the staged key current and removes <path>.next', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      p.rotation!.promote();
      expect(existsSync(next())).toBe(false);
      expect(mode(keyPath)).toBe(0o600);
      const m = p.load();
      expect(m.current.equals(KEY_B)).toBe(true);
      expect(m.pending).toBeUndefined();
    });

    it('promote with nothing staged fails and leaves the current key in place', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      expect(() => p.rotation!.promote()).toThrow();
      expect(p.load().current.equals(KEY_A)).toBe(true);
    });

    const previousFile = () => `${keyPath}.previous`;
    const kcv = (k: Buffer) => keyCheckValue(k);

    it('promote keeps the replaced key in <path>.previous (0600) and load offers it as a previous key', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      p.rotation!.promote(kcv(KEY_B));
      expect(readFileSync(previousFile(), 'utf8')).toBe(`${B64_A}\n`);
      expect(mode(previousFile())).toBe(0o600);
      const m = p.load();
      expect(m.current.equals(KEY_B)).toBe(true);
      expect(m.previous.map((k) => k.toString('hex'))).toEqual([KEY_A.toString('hex')]);
      // a second rotation adds to it; nothing is lost until a key is retired
      p.rotation!.stage(KEY_C);
      p.rotation!.promote(kcv(KEY_C));
      expect(readFileSync(previousFile(), 'utf8')).toBe(`${B64_A}\n${B64_B}\n`);
      expect(readdirSync(dir).sort()).toEqual(['root.key', 'root.key.previous']); // no temporary files left
    });

    it('promote with the expected check value is idempotent, and refuses a staged file holding another key', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      expectCode(() => p.rotation!.promote(kcv(KEY_C)), 'ROOT_KEY_MISMATCH');
      expect(p.load().current.equals(KEY_A)).toBe(true);
      p.rotation!.promote(kcv(KEY_B));
      p.rotation!.promote(kcv(KEY_B)); // done already: recognised, nothing changes
      expect(p.load().current.equals(KEY_B)).toBe(true);
      expect(readFileSync(previousFile(), 'utf8')).toBe(`${B64_A}\n`);
      expectCode(() => p.rotation!.promote(kcv(KEY_C)), 'ROOT_KEY_MISSING');
    });

    it('a promotion interrupted between its two renames leaves both keys loadable, and finishing it is idempotent', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B);
      // the first half of a promotion: the old key copied to <path>.previous, the rename not done
      writeKeyFile(previousFile(), KEY_A);
      const m = p.load();
      expect([m.current, m.pending!, ...m.previous].map((k) => k.toString('hex'))).toEqual([KEY_A, KEY_B, KEY_A].map((k) => k.toString('hex')));
      p.rotation!.promote(kcv(KEY_B));
      expect(readFileSync(previousFile(), 'utf8')).toBe(`${B64_A}\n`); // not twice
      expect(p.load().current.equals(KEY_B)).toBe(true);
    });

    it('readStaged reads the staged key back from disk', () => {
      writeKeyFile(keyPath, KEY_A);
      const p = fileRootKeyProvider(keyPath);
      expect(p.rotation!.readStaged()).toBeUndefined();
      p.rotation!.stage(KEY_B);
      expect(p.rotation!.readStaged()!.equals(KEY_B)).toBe(true);
    });

    it('forget removes a retired key from <path>.previous, and the file with its last key', () => {
      writeKeyFile(keyPath, KEY_C);
      writeKeyFile(previousFile(), KEY_A);
      const p = fileRootKeyProvider(keyPath);
      p.rotation!.stage(KEY_B); // unrelated to what forget does
      writeWithMode(previousFile(), `${B64_A}\n${B64_B}\n`, 0o600);
      expect(p.rotation!.forget(rootKeyId(KEY_C))).toBeUndefined(); // not in it
      expect(p.rotation!.forget(rootKeyId(KEY_A))).toEqual({ path: previousFile(), deleted: false });
      expect(readFileSync(previousFile(), 'utf8')).toBe(`${B64_B}\n`);
      expect(mode(previousFile())).toBe(0o600);
      expect(p.rotation!.forget(rootKeyId(KEY_B))).toEqual({ path: previousFile(), deleted: true });
      expect(existsSync(previousFile())).toBe(false);
      expect(p.rotation!.forget(rootKeyId(KEY_B))).toBeUndefined();
    });

    it('refuses a previous-keys file other users can read, or one with a malformed line (without echoing it)', () => {
      writeKeyFile(keyPath, KEY_A);
      writeWithMode(previousFile(), `${B64_B}\n`, 0o644);
      expect(expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_FILE_UNSAFE').message).toContain(previousFile());
      writeWithMode(previousFile(), `${B64_B}\nnot-a-key-987654\n`, 0o600);
      const err = expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_INVALID');
      expect(err.message).toContain('line 2');
      expect(err.message).not.toContain('not-a-key-987654');
      expect(err.message).not.toContain(B64_B);
    });

    it('refuses a staged key file other users can read', () => {
      writeKeyFile(keyPath, KEY_A);
      writeWithMode(next(), `${B64_B}\n`, 0o644);
      const err = expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_FILE_UNSAFE');
      expect(err.message).toContain(next());
      expect(err.message).toContain('chmod 600');
    });

    it('a staged key without a current key file is still ROOT_KEY_MISSING', () => {
      writeKeyFile(next(), KEY_B);
      expectCode(() => fileRootKeyProvider(keyPath).load(), 'ROOT_KEY_MISSING');
    });
  });
});

describe('key ids', () => {
  it.each([0, 1, 0xabc, 0x7fffffff, 0x80000000, 0xffffffff])('formatRootKeyId(%i) has 8 lower-case hex digits and round-trips', (id) => {
    const text = formatRootKeyId(id);
    expect(text).toMatch(/^root\/[0-9a-f]{8}$/);
    expect(parseKeyId(text)).toEqual({ kind: 'root', id });
  });

  it('formats root ids as documented', () => {
    expect(formatRootKeyId(0)).toBe('root/00000000');
    expect(formatRootKeyId(0xdeadbeef)).toBe('root/deadbeef');
  });

  it.each<[string, number]>([
    ['acme', 1],
    ['acme', 42],
    ['a', 999_999_999],
    ['acme.eu_1-x', 7],
    ['x'.repeat(64), 3],
    ['root', 1],
  ])('formatTenantKeyId(%j, %i) round-trips', (tenant, version) => {
    const text = formatTenantKeyId(tenant, version);
    expect(text).toBe(`${tenant}/v${version}`);
    expect(parseKeyId(text)).toEqual({ kind: 'tenant', tenant, version });
  });

  it.each([
    '',
    'root',
    'root/',
    'root/1234567',
    'root/123456789',
    'root/DEADBEEF',
    'root/0xdeadbe',
    'acme',
    'acme/',
    'acme/v',
    'acme/v0',
    'acme/v01',
    'acme/1',
    'acme/v-1',
    'acme/v1.5',
    'acme/v1/',
    '/v1',
    '-acme/v1',
    'ac me/v1',
    `${'x'.repeat(65)}/v1`,
    'acme/v1\n',
    'acme/v2147483648',
    'acme/v12345678901',
  ])('parseKeyId(%j) gives KEY_ID_INVALID', (text) => {
    const err = expectCode(() => parseKeyId(text), 'KEY_ID_INVALID');
    expect(err.message).toContain('root/<8 hex digits>');
  });

  it('does not echo the input in the message', () => {
    const err = expectCode(() => parseKeyId('z'.repeat(500)), 'KEY_ID_INVALID');
    expect(err.message).not.toContain('zz');
  });

  // Tenant key versions are accepted up to 2^31-1 elsewhere (checkVersion); every one must parse back.
  it('formatTenantKeyId round-trips every valid version', () => {
    const text = formatTenantKeyId('acme', 0x7fffffff);
    expect(parseKeyId(text)).toEqual({ kind: 'tenant', tenant: 'acme', version: 0x7fffffff });
  });

  // A root key pasted where a key id belongs must not be echoed: messages never contain a key.
  it('does not echo a pasted root key in the KEY_ID_INVALID message', () => {
    const err = expectCode(() => parseKeyId(B64_A), 'KEY_ID_INVALID');
    expect(err.message).not.toContain(B64_A);
  });
});
