/**
 * The Coffer REST API contract: one definition of every operation (path, access, zod schemas,
 * error codes). The server implements it, the OpenAPI document is built from it, and the SDK's
 * types are generated from that document.
 */
import type { AnyOperation } from './define.js';
import { auditOperations, keyOperations } from './operations/admin.js';
import { connectionOperations, connectOperations, providerOperations } from './operations/connections.js';
import { serviceOperations } from './operations/service.js';
import { secretOperations, tenantOperations, tokenOperations } from './operations/vault.js';

export * from './define.js';
export * from './errors.js';
export * from './openapi.js';
export * from './schemas/common.js';
export * from './schemas/vault.js';
export * from './schemas/keys.js';
export * from './schemas/audit.js';
export * from './schemas/connections.js';
export { Health, Readiness } from './operations/service.js';
export { OAUTH_CALLBACK_PATH } from './operations/connections.js';

export const operations = {
  tenants: tenantOperations,
  tokens: tokenOperations,
  secrets: secretOperations,
  keys: keyOperations,
  audit: auditOperations,
  providers: providerOperations,
  connections: connectionOperations,
  connect: connectOperations,
  service: serviceOperations,
};

/** Every operation, in the order the document lists them. */
export const OPERATIONS: readonly AnyOperation[] = Object.values(operations).flatMap((group) =>
  Object.entries(group).map(([key, op]: [string, AnyOperation]) => {
    if (key !== op.operationId) throw new Error(`operation ${key} is named ${op.operationId}`);
    return op;
  }),
);

