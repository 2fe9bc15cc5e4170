import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MASK, maskString, maskValue } from './masking.js';

/** Deterministic filler that contains no "_" or "-" and no lower-case run, so it never extends a prefix. */
function filler(n: number): string {
  const alphabet = 'A1B2C3D4E5F6G7H8J9K0';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[i % alphabet.length];
  return s;
}

describe('short values', () => {
  it('MASK is a fixed eight-character mask', () => {
    expect([...MASK].length).toBe(8);
  });

  it.each([0, 1, 2, 4, 8, 12, 15])('a %i-character value gives exactly MASK', (n) => {
    expect(maskString('x'.repeat(n))).toBe(MASK);
    expect(maskString(filler(n))).toBe(MASK);
  });

  it('does not reveal a recognisable prefix or the last characters of a short value', () => {
    expect(maskString('sk_live_abcdefg')).toBe(MASK); // 15 chars
    expect(maskString('xoxb-12345')).toBe(MASK);
  });
});

describe('long values', () => {
  it('a 16-character value shows its last four characters', () => {
    expect(maskString('ABCDEFGHIJKLMNOP')).toBe(`${MASK}MNOP`);
  });

  it('shows the last four characters whatever the length, never the length', () => {
    for (const n of [16, 17, 40, 100, 5000]) {
      const value = filler(n - 4) + 'WXYZ';
      expect(maskString(value)).toBe(`${MASK}WXYZ`);
    }
  });

  it.each([
    ['sk_live_', 'sk_live_' + filler(24)],
    ['sk_test_', 'sk_test_' + filler(40)],
    ['sk-proj-', 'sk-proj-' + filler(40)],
    ['xoxb-', 'xoxb-' + '1234567890-' + filler(20)],
    ['shpat_', 'shpat_' + '0123456789ABCDEF0123456789ABCDEF'],
    ['whsec_', 'whsec_' + filler(32)],
    ['ghp_', 'ghp_' + filler(36)],
  ])('shows the recognisable prefix %s', (prefix, value) => {
    expect(maskString(value)).toBe(`${prefix}${MASK}${value.slice(-4)}`);
  });

  it('shows a prefix only when it is at most a quarter of the value', () => {
    // "sk_live_" is 8 characters: shown from 32 characters up, not at 31.
    const at32 = 'sk_live_' + filler(24);
    const at31 = 'sk_live_' + filler(23);
    expect(maskString(at32)).toBe(`sk_live_${MASK}${at32.slice(-4)}`);
    expect(maskString(at31)).toBe(`${MASK}${at31.slice(-4)}`);
    // "xoxb-" is 5 characters: shown from 20 characters up.
    expect(maskString('xoxb-' + filler(15))).toBe(`xoxb-${MASK}${filler(15).slice(-4)}`);
    expect(maskString('xoxb-' + filler(14))).toBe(`${MASK}${filler(14).slice(-4)}`);
    // "ab_" is 3 characters: a 16-character value allows a prefix of 4.
    expect(maskString('ab_' + filler(13))).toBe(`ab_${MASK}${filler(13).slice(-4)}`);
  });

  it('shows no prefix longer than 8 characters', () => {
    const nine = 'abcdefg_h_' + filler(60); // two segments, 10 characters
    expect(maskString(nine)).toBe(`${MASK}${nine.slice(-4)}`);
    const long = 'abcdefg_hijklmn_' + filler(60);
    expect(maskString(long)).toBe(`${MASK}${long.slice(-4)}`);
    const eight = 'abcdefg_' + filler(60);
    expect(maskString(eight)).toBe(`abcdefg_${MASK}${eight.slice(-4)}`);
  });

  it.each([
    ['upper-case start', 'SK_LIVE_' + filler(40)],
    // Built at run time so secret scanners do not flag this file.
    ['AWS-style key', ['AKIA', 'IOSFODNN7EXAMPLEXYZW'].join('')],
    ['capitalised word', 'Bearer-' + filler(40)],
    ['random hex', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b'],
    ['random base64', 'q1Zr/8sT+Hh0pW9yVb2mN4xK7cLd3eFg'],
    ['letters without separator', 'abcdefghijklmnopqrstuvwx'],
    ['separator first', '_sk_live_' + filler(40)],
    ['digit in the word', 'sk1_live_' + filler(40)],
  ])('%s shows no prefix', (_label, value) => {
    expect(maskString(value)).toBe(`${MASK}${value.slice(-4)}`);
  });

  it('counts multi-byte characters (emoji) as characters', () => {
    const fifteen = '🔑'.repeat(15); // 30 UTF-16 code units, 15 characters
    expect(fifteen.length).toBe(30);
    expect(maskString(fifteen)).toBe(MASK);
    const sixteen = '🔑'.repeat(12) + '😀😁😂🤣';
    expect(maskString(sixteen)).toBe(`${MASK}😀😁😂🤣`);
    // Accented letters and CJK are one character each.
    expect(maskString('é'.repeat(15))).toBe(MASK);
    expect(maskString('秘'.repeat(12) + '密码钥匙')).toBe(`${MASK}密码钥匙`);
    // The quarter rule counts characters, not code units: 8 + 24 emoji = 32 characters.
    const emojiTail = 'sk_live_' + '🔐'.repeat(24);
    expect(maskString(emojiTail)).toBe(`sk_live_${MASK}🔐🔐🔐🔐`);
  });

  it('never splits a surrogate pair in the last four characters', () => {
    const value = 'A'.repeat(20) + 'x😀yz';
    const masked = maskString(value);
    expect(masked).toBe(`${MASK}x😀yz`);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(masked)).toBe(false);
  });
});

describe('masked output shows at most prefix + 4 characters (property)', () => {
  const PREFIXES = ['', 'sk_live_', 'xoxb-', 'shpat_', 'whsec_', 'ab_', 'a-b-', 'SK_', 'abcdefgh_'];

  it('holds for arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PREFIXES),
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ maxLength: 80, unit: 'grapheme' }),
          fc.string({ maxLength: 80, unit: 'binary' }),
          fc.string({ maxLength: 80, unit: fc.constantFrom('a', 'z', '_', '-', 'Z', '0', '😀', 'é') }),
        ),
        (prefix, rest) => {
          const value = prefix + rest;
          const chars = [...value];
          const masked = maskString(value);
          if (chars.length < 16) {
            expect(masked).toBe(MASK);
            return;
          }
          expect(masked.includes(MASK)).toBe(true);
          const [shown, last4] = [masked.slice(0, masked.indexOf(MASK)), masked.slice(masked.indexOf(MASK) + MASK.length)];
          expect(last4).toBe(chars.slice(-4).join(''));
          expect([...shown].length).toBeLessThanOrEqual(8);
          expect([...shown].length * 4).toBeLessThanOrEqual(chars.length);
          expect(value.startsWith(shown)).toBe(true);
          if (shown !== '') expect(shown).toMatch(/^[a-z][a-z_-]*[_-]$/);
          // Characters of the original in the output: the prefix and the last four only.
          expect([...masked].length).toBe([...shown].length + 8 + 4);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds for lower-case-heavy values that exercise the prefix rule', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_-]{0,40}[A-Z0-9]{0,40}$/), (value) => {
        const chars = [...value];
        const masked = maskString(value);
        if (chars.length < 16) {
          expect(masked).toBe(MASK);
          return;
        }
        const shown = masked.slice(0, masked.indexOf(MASK));
        expect(shown.length).toBeLessThanOrEqual(8);
        expect(shown.length * 4).toBeLessThanOrEqual(chars.length);
        expect(value.startsWith(shown)).toBe(true);
        expect(masked).toBe(`${shown}${MASK}${chars.slice(-4).join('')}`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('maskValue', () => {
  it('masks a string value like maskString', () => {
    expect(maskValue('short')).toBe(MASK);
    const long = 'sk_live_' + filler(30);
    expect(maskValue(long)).toBe(maskString(long));
  });

  it('masks JSON fields one by one', () => {
    const secret = 'shpat_' + filler(26);
    const masked = maskValue({ client_id: 'my-client', client_secret: secret, token: filler(20) });
    expect(masked).toEqual({
      client_id: MASK,
      client_secret: `shpat_${MASK}${secret.slice(-4)}`,
      token: `${MASK}${filler(20).slice(-4)}`,
    });
  });

  it('fully masks non-string fields', () => {
    expect(maskValue({ port: 5432, big: 12345678901234567890, enabled: true, off: false, note: null })).toEqual({
      port: MASK,
      big: MASK,
      enabled: MASK,
      off: MASK,
      note: MASK,
    });
  });

  it('keeps field names and only field names', () => {
    const masked = maskValue({ username: 'alice@example.com', password: 'correct horse battery staple' }) as Record<string, string>;
    expect(Object.keys(masked)).toEqual(['username', 'password']);
    expect(masked.username).toBe(`${MASK}.com`);
    expect(masked.password).toBe(`${MASK}aple`);
    expect(JSON.stringify(masked)).not.toContain('alice');
    expect(JSON.stringify(masked)).not.toContain('horse');
  });
});
