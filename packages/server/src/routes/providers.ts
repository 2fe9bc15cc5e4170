/** The provider catalog: what Coffer knows how to connect to. No tenant data, any valid token. */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { providerJson } from './wire.js';

const op = operations.providers;

export const providerRoutes = [
  implement(op.listProviders, async ({ coffer }) => ({ items: coffer.providers.list().map(providerJson) })),
  implement(op.getProvider, async ({ params, coffer }) => {
    coffer.providers.get(params.id);
    return providerJson(coffer.providers.list().find((e) => e.definition.id === params.id)!);
  }),
];
