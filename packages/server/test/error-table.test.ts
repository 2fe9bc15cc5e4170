/**
 * README's error table against the code: every code the server can answer (the core's codes and
 * the server's own) is listed with the HTTP status the server maps it to, and every listed code
 * exists. CLI-only codes are listed with `—` as their status.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@coffer/core';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/src/output.js';
import * as httpErrors from '../src/http-errors.js';

const README = new URL('../../../README.md', import.meta.url);
const NO_STATUS = '—';

// The code → status table may move to the contract package as ERROR_STATUS; either name counts.
const STATUS_BY_CODE = ((httpErrors as Record<string, unknown>).HTTP_STATUS ?? (httpErrors as Record<string, unknown>).ERROR_STATUS) as Record<string, number>;

/** Codes only the command line prints; no HTTP answer carries them. */
const CLI_ONLY_CODES = [new UsageError('').code];

interface Row {
  code: string;
  http: string;
  meaning: string;
}

/** The rows of the table under `## Error codes`, which must have the columns code | HTTP | meaning. */
function errorTable(markdown: string): { intro: string; rows: Row[] } {
  const start = markdown.indexOf('\n## Error codes\n');
  expect(start, 'README has no "## Error codes" section').toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  const lines = section.split('\n');
  const header = lines.findIndex((l) => l.startsWith('|'));
  expect(lines[header]?.split('|').map((c) => c.trim()).filter(Boolean)).toEqual(['code', 'HTTP', 'meaning']);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [code = '', http = '', ...meaning] = line.slice(1, line.endsWith('|') ? -1 : undefined).split(' | ').map((c) => c.trim());
    rows.push({ code: code.replace(/^`|`$/g, ''), http, meaning: meaning.join(' | ') });
  }
  return { intro: lines.slice(0, header).join('\n'), rows };
}

describe("README's error table", () => {
  const { intro, rows } = errorTable(readFileSync(README, 'utf8'));
  const answerable = [...new Set([...Object.keys(ERROR_CODES), ...Object.keys(STATUS_BY_CODE)])];

  it('maps every code in the server status table (the HTTP error table exists)', () => {
    expect(Object.keys(STATUS_BY_CODE).length).toBeGreaterThan(0);
    // Every core code reaches HTTP through this table; one missing would answer an unmapped status.
    expect(Object.keys(ERROR_CODES).filter((c) => !(c in STATUS_BY_CODE))).toEqual([]);
  });

  it('lists every code the server can answer, once, with the status the server answers it with', () => {
    const listed = new Map(rows.map((r) => [r.code, r.http]));
    expect(rows.map((r) => r.code).filter((c, i, all) => all.indexOf(c) !== i), 'listed twice').toEqual([]);
    const wrong = answerable.filter((code) => listed.get(code) !== String(STATUS_BY_CODE[code])).map((code) => `${code}: README ${listed.get(code) ?? 'missing'}, server ${STATUS_BY_CODE[code]}`);
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('lists no code that does not exist; CLI-only codes have no HTTP status', () => {
    const unknown = rows.filter((r) => !answerable.includes(r.code) && !CLI_ONLY_CODES.includes(r.code)).map((r) => r.code);
    expect(unknown).toEqual([]);
    for (const code of CLI_ONLY_CODES) expect(rows.find((r) => r.code === code)?.http, code).toBe(NO_STATUS);
  });

  it('explains every code, and says what an error body looks like', () => {
    expect(rows.filter((r) => r.meaning.length < 10).map((r) => r.code)).toEqual([]);
    expect(intro).toContain('{"error":{"code","message"}}');
    expect(intro).toContain('currentVersion');
  });
});
