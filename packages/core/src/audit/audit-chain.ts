/**
 * The hash chain of the audit log, as pure functions: shared by the in-process writer, the
 * writer thread and verification, so all three compute exactly the same bytes.
 */
import { hash } from 'node:crypto';
import type { AuditEventsTable } from '../store/schema.js';

export const GENESIS_HASH = '0'.repeat(64);

/** An event's content: everything but its place in the chain. */
export type EventContent = Omit<AuditEventsTable, 'seq' | 'hash' | 'prev_hash'>;

/** The bytes an event's hash covers: its content, in a fixed order, after the previous hash. */
export function eventHash(prevHash: string, row: Omit<AuditEventsTable, 'hash' | 'prev_hash'>): string {
  const content = JSON.stringify([row.seq, row.id, row.at, row.actor, row.action, row.tenant_id, row.target, row.outcome, row.code, row.ip, row.request_id, row.details]);
  // One-shot hash: no Hash object per event, which the garbage collector would have to finalise.
  return hash('sha256', `${prevHash}\n${content}`, 'hex');
}

/** Numbers `contents` after `head` and links each event to the one before it. */
export function chainRows(head: { seq: number; hash: string }, contents: readonly EventContent[]): AuditEventsTable[] {
  let { seq, hash } = head;
  return contents.map((c) => {
    seq += 1;
    const numbered = { ...c, seq };
    const row = { ...numbered, prev_hash: hash, hash: eventHash(hash, numbered) };
    hash = row.hash;
    return row;
  });
}
