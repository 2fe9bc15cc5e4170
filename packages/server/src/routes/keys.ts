/** Key operations (admin tokens only). Core audits rotations and rewraps itself, as this request's caller. */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.keys;

export const keyRoutes = [
  implement(op.rotateTenantKey, async ({ params, coffer }) => coffer.keys.rotateTenantKey(params.tenant)),
  implement(op.rewrapTenant, async ({ params, coffer }) => coffer.keys.rewrapTenant(params.tenant)),
  implement(op.getKeyStatus, async ({ coffer }) => toJson(await coffer.keys.status())),
];
