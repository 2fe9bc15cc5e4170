import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoffer, type Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';

forEachBackend('smoke', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await createCoffer({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl });
  });
  afterAll(async () => coffer?.close());
  it('stores and reveals a value', async () => {
    await coffer.tenants.create('acme');
    await coffer.secrets.put('acme', 'k', 'value-1');
    expect((await coffer.secrets.reveal('acme', 'k')).value).toBe('value-1');
  });
});
