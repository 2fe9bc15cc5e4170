/**
 * The form of a provider id. An audited call names its provider in its event, so a provider id
 * is checked for its form before anything is recorded: text that is not an id may be a
 * credential pasted into the wrong field, and it stays out of the audit log.
 */
import { CofferError } from '../errors.js';

/** Lowercase letters, digits and "-", as in the catalog's definitions. */
export const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** `id` when it has the form of a provider id; PROVIDER_NOT_FOUND, without repeating it, otherwise. */
export function checkProviderId(id: unknown): string {
  if (typeof id !== 'string' || !PROVIDER_ID.test(id)) throw new CofferError('PROVIDER_NOT_FOUND', 'No provider with that id. `coffer providers list` shows the catalog.');
  return id;
}
