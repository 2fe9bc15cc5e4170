/**
 * The SDK as a consumer installs it: only `@coffer/sdk` (its package.json and dist), in a project
 * of its own with no other package. Its published types must type-check there, strictly, with
 * no zod and no contract package, and the types must be the contract's (a wrong call fails).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSdkTypes } from '../scripts/sdk-types.mjs';

const SDK = join(import.meta.dirname, '..');
const project = mkdtempSync(join(tmpdir(), 'coffer-sdk-consumer-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Type-checks `source` in the consumer project; returns the diagnostics as text. */
function typeCheck(source: string): string[] {
  const file = join(project, 'consumer.ts');
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: false,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('@coffer/sdk for a consumer with nothing else installed', () => {
  const installed = join(project, 'node_modules', '@coffer', 'sdk');
  mkdirSync(installed, { recursive: true });
  cpSync(join(SDK, 'package.json'), join(installed, 'package.json'));
  cpSync(join(SDK, 'dist'), join(installed, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', dependencies: { '@coffer/sdk': '0.1.0' } }));

  it('has no runtime dependency, and its published declarations import neither zod nor the contract', () => {
    const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    const files = declarationFiles(join(installed, 'dist'));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from ['"](zod|@coffer\/contract|@coffer\/core)/);
      expect(text, f).not.toMatch(/import\(['"](zod|@coffer\/contract|@coffer\/core)/);
    }
  });

  it('type-checks a strict consumer, and refuses a call the contract does not allow', () => {
    const diagnostics = typeCheck(`
import { CofferClient, CofferApiError, type Tenant, type RevealedSecret, type Connection, type KeyStatus, type ApiErrorCode } from '@coffer/sdk';

export async function main(): Promise<void> {
  const coffer = new CofferClient({ url: 'http://127.0.0.1:8080', token: 'cfr_x' });
  const tenant: Tenant = await coffer.tenants.create('acme', { name: 'Acme' });
  const created: string = tenant.createdAt;
  const put = await coffer.secrets.put('acme', 'shopify_token', { api_key: 'k', retries: 3 }, { type: 'api_key', cas: 0 });
  const version: number = put.version;
  const revealed: RevealedSecret = await coffer.secrets.reveal('acme', 'shopify_token');
  const value: string | Record<string, string | number | boolean | null> = revealed.value;
  const connections: Connection[] = (await coffer.connections.list('acme')).items;
  const status: 'active' | 'error' | 'expired' | 'refresh_failed' | 'revoked' | undefined = connections[0]?.status;
  const keys: KeyStatus = await coffer.keys.status();
  const rootState: 'current' | 'previous' | 'retired' | undefined = keys.root[0]?.state;
  const deleted = await coffer.connections.delete('acme', 'c1');
  const revocation: 'revoked' | 'not_supported' | 'failed' = deleted.revocation;
  try {
    await coffer.secrets.put('acme', 'x', 'v', { cas: 1 });
  } catch (err) {
    if (err instanceof CofferApiError && err.code === 'CAS_MISMATCH') console.log(err.currentVersion);
  }
  const code: ApiErrorCode = 'SECRET_NOT_FOUND';
  // @ts-expect-error: not an error code of the API
  const wrong: ApiErrorCode = 'NO_SUCH_CODE';
  // @ts-expect-error: a secret type the contract does not have
  await coffer.secrets.put('acme', 'x', 'v', { type: 'certificate' });
  // @ts-expect-error: token kinds are admin, tenant and metrics
  await coffer.tokens.create({ kind: 'root' });
  void [created, version, value, status, rootState, revocation, code, wrong];
}
`);
    expect(diagnostics).toEqual([]);
  });

  it('catches a type error in the consumer (the check is real)', () => {
    const diagnostics = typeCheck(`
import { CofferClient } from '@coffer/sdk';
export async function main(): Promise<void> {
  const tenant = await new CofferClient({ url: 'http://127.0.0.1:8080' }).tenants.create('acme');
  const n: number = tenant.createdAt;
  void n;
}
`);
    expect(diagnostics.join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  it('ships the types generated from the current contract (regenerate with `npm run generate`)', async () => {
    const committed = readFileSync(join(SDK, 'src', 'generated', 'api.ts'), 'utf8');
    expect(committed === (await generateSdkTypes()), 'packages/sdk/src/generated/api.ts is stale: run `npm run generate`').toBe(true);
  });
});
