/**
 * Every audit action Coffer writes, in one list: a dotted `resource.verb`. Callers (core, the
 * server, the CLI, an embedding application) name actions from this union, so a typo or a new
 * action without a place here fails to compile instead of splitting the log's vocabulary.
 */
export const AUDIT_ACTIONS = [
  // tenants
  'tenant.create',
  'tenant.delete',
  'tenant.return_origins.update',
  // API tokens and access
  'token.create',
  'token.revoke',
  'auth.failure',
  'access.denied',
  // secrets
  'secret.write',
  'secret.reveal',
  'secret.delete',
  'secret.undelete',
  'secret.destroy',
  'secret.version.destroy',
  // keys
  'key.rotate',
  'key.rewrap',
  'key.rotate_root',
  'key.retire',
  // connections and OAuth
  'connection.create',
  'connection.update',
  'connection.delete',
  'connection.test',
  'connection.refresh',
  'connection.credentials',
  'connection.authorize',
  'connection.import',
  'connect.session.create',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

/** Whether `action` is one Coffer writes (for filters that take caller text). */
export function isAuditAction(action: string): action is AuditAction {
  return KNOWN.has(action);
}
