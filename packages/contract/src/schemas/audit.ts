/** Audit chain verification and signed checkpoints as the API shows them. */
import { z } from 'zod';

/** The format tag of a checkpoint file. */
export const CHECKPOINT_FORMAT = 'coffer-audit-checkpoint/1';

export const ChainVerification = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    firstBroken: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
    segments: z
      .array(z.object({ from: z.number().int(), to: z.number().int(), keyed: z.boolean(), keyVersion: z.number().int().optional() }))
      .meta({ description: 'Runs of plain SHA-256 events (from before audit keys) and of events MACed under an audit key version.' }),
  })
  .meta({ id: 'ChainVerification' });

export const CheckpointPayload = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('the newest event covered (0: an empty log)'),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').describe("that event's hash"),
    at: z.iso.datetime().describe('when the checkpoint was made'),
    keyVersion: z.number().int().min(1).max(0x7fffffff).describe('the audit key version the signing key is derived from'),
    keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits').describe('first 16 hex digits of SHA-256 of the raw public key'),
  })
  .meta({ id: 'CheckpointPayload' });

/** A checkpoint file, exactly: what POST /v1/audit/checkpoints returns and `coffer audit checkpoint` writes. */
export const SignedCheckpoint = CheckpointPayload.extend({
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)'),
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 Ed25519 public key (32 bytes)'),
})
  .strict()
  .meta({ id: 'SignedCheckpoint', description: 'A checkpoint file as written: the chain head signed with Ed25519.' });

export const WrittenCheckpoint = SignedCheckpoint.extend({ file: z.string().nullable().describe('where it was written, or null without a checkpoint directory') }).meta({ id: 'WrittenCheckpoint' });

export const AuditPublicKey = z
  .object({ version: z.number().int(), keyId: z.string(), current: z.boolean(), publicKey: z.string().describe('raw 32 bytes, base64'), pem: z.string().describe('SPKI PEM') })
  .meta({ id: 'AuditPublicKey' });

export const CheckpointVerification = z
  .object({
    ok: z.boolean(),
    reason: z.string().nullable(),
    problems: z.array(z.string()),
    checkpoint: CheckpointPayload,
    signatureValid: z.boolean(),
    vaultKey: z.boolean().meta({ description: 'Whether the checkpoint\'s key is this vault\'s audit key of its version.' }),
    anchoredThrough: z.number().int().nullable().meta({ description: 'Events 1 to this seq are proven unchanged since the checkpoint.' }),
    unanchored: z.number().int().meta({ description: 'Events after the checkpoint.' }),
    head: z.object({ seq: z.number().int(), hash: z.string() }),
    chain: ChainVerification.nullable(),
  })
  .meta({ id: 'CheckpointVerification' });
