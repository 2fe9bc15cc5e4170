/**
 * Masked forms of secret values, for lists and screens: enough to recognise a credential,
 * never enough to use it.
 *
 * - Short values (under 16 characters) show nothing: a fixed mask, so not even their length.
 * - Long values show the last four characters and, when the value starts with a recognisable
 *   prefix such as `sk_live_` or `xoxb-` (lower-case letters ending in "_" or "-"), that prefix (at most 8 characters, and never more
 *   than a quarter of the value).
 * - Structured values are masked field by field; non-string fields are fully masked.
 */
import type { SecretValue } from './values.js';

export const MASK = '••••••••';
const LONG = 16;
const PREFIX = /^(?:[a-z]{1,7}[_-]){1,2}/;

export function maskString(value: string): string {
  const chars = [...value];
  if (chars.length < LONG) return MASK;
  const last4 = chars.slice(-4).join('');
  const prefix = PREFIX.exec(value)?.[0] ?? '';
  const shown = prefix.length <= 8 && prefix.length * 4 <= chars.length ? prefix : '';
  return `${shown}${MASK}${last4}`;
}

export type MaskedValue = string | Record<string, string>;

export function maskValue(value: SecretValue): MaskedValue {
  if (typeof value === 'string') return maskString(value);
  const out: Record<string, string> = {};
  for (const [field, v] of Object.entries(value)) out[field] = typeof v === 'string' ? maskString(v) : MASK;
  return out;
}
