/** Key status as the API shows it: ids, states and counts, never a key. */
import { z } from 'zod';
import { Timestamp } from './common.js';

export const RootKeyStatus = z
  .object({
    id: z.string().meta({ examples: ['root/1a2b3c4d'] }),
    state: z.enum(['current', 'previous', 'retired']),
    createdAt: Timestamp,
    tenantKeys: z.number().int().meta({ description: 'Tenant key versions it wraps.' }),
  })
  .meta({ id: 'RootKeyStatus' });

export const TenantKeyStatus = z
  .object({
    id: z.string().meta({ examples: ['acme/v2'] }),
    tenant: z.string(),
    version: z.number().int(),
    state: z.enum(['active', 'retired']),
    newest: z.boolean(),
    createdAt: Timestamp,
    rootKeyId: z.string().nullable(),
    secretVersions: z.number().int().meta({ description: 'Secret versions whose data key it wraps.' }),
  })
  .meta({ id: 'TenantKeyStatus' });

export const AuditKeyStatus = z
  .object({
    version: z.number().int(),
    current: z.boolean().meta({ description: 'Whether new audit events are MACed under it.' }),
    rootKeyId: z.string().meta({ description: 'The root key that wraps it.' }),
    firstSeq: z.number().int().meta({ description: 'Events after this seq are keyed; those up to it are from before audit keys.' }),
    createdAt: Timestamp,
  })
  .meta({ id: 'AuditKeyStatus' });

export const RootRotationStatus = z
  .object({
    state: z.enum(['starting', 'staged', 'switched']),
    owner: z.string().nullable().meta({ description: '`host:pid:…` of the process holding the lease.' }),
    running: z.boolean(),
    leaseUntil: Timestamp.nullable(),
    fromKeyId: z.string().nullable(),
    toKeyId: z.string().nullable(),
  })
  .meta({ id: 'RootRotationStatus', description: 'A root rotation running, or interrupted and waiting for the next start.' });

export const KeyStatus = z
  .object({
    rootKeyProvider: z.string(),
    root: z.array(RootKeyStatus),
    tenants: z.array(TenantKeyStatus),
    audit: z.array(AuditKeyStatus),
    rotation: RootRotationStatus.nullable(),
  })
  .meta({ id: 'KeyStatus' });

export const RotatedTenantKey = z.object({ keyId: z.string(), version: z.number().int() }).meta({ id: 'RotatedTenantKey' });
export const RewrapResult = z.object({ tenant: z.string(), keyId: z.string(), rewrapped: z.number().int() }).meta({ id: 'RewrapResult' });
