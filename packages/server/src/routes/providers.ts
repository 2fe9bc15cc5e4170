/** The provider catalog: what Coffer knows how to connect to. No tenant data, any valid token. */
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { ProviderId, ProviderInfo, providerJson } from './schemas.js';

export const providerRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/providers',
    tag: 'providers',
    summary: 'List the provider catalog',
    description: 'Built-in definitions and the team\'s own from `COFFER_PROVIDERS_DIR` (`source: custom`).',
    access: { kind: 'authenticated' },
    response: z.object({ items: z.array(ProviderInfo) }),
    async handler({ coffer }) {
      return { items: coffer.providers.list().map(providerJson) } as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/providers/:id',
    tag: 'providers',
    summary: 'One provider definition',
    access: { kind: 'authenticated' },
    params: z.object({ id: ProviderId }),
    response: ProviderInfo,
    errors: ['PROVIDER_NOT_FOUND'],
    async handler({ params, coffer }) {
      coffer.providers.get(params.id);
      return providerJson(coffer.providers.list().find((e) => e.definition.id === params.id)!) as never;
    },
  }),
];
