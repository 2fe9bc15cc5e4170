/**
 * Human output by default, JSON with `--json`. Errors go to stderr as `error [CODE]: message`
 * (or `{"error":{"code","message"}}` with --json) and never carry a stack trace or a value.
 */
import { CofferError } from '@coffer/core';
import type { Io } from './io.js';

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** Prints `data` as JSON in --json mode, otherwise the human text. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Status lines for people; silent in --json mode so stdout stays parseable. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  error(err: unknown): void {
    const { code, message } =
      err instanceof CofferError || err instanceof UsageError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: internalMessage(err) };
    if (this.json) this.io.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else this.io.stderr.write(`error [${code}]: ${message}\n`);
  }
}

function internalMessage(err: unknown): string {
  // Driver and system errors carry no secret values (values never reach a query as text),
  // but their stacks are noise to a user; COFFER_DEBUG=1 shows them.
  const message = err instanceof Error ? err.message : String(err);
  return `${message} (unexpected; rerun with COFFER_DEBUG=1 for details)`;
}

/** Fixed-width table for human output. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function when(d: Date | null | undefined): string {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

export function maskedText(masked: unknown): string {
  if (masked === null || masked === undefined) return '-';
  if (typeof masked === 'string') return masked;
  return Object.entries(masked as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** A mistake in how the command was called: exit code 2, like commander's own usage errors. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Ends a command with `exitCode` after it has printed its own result (e.g. a failed verification). */
export class SilentExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
