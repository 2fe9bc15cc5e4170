/**
 * The consumer's build, done in-process: openapi-typescript turns the served document into
 * `paths` types, the TypeScript compiler checks openapi-consumer.ts against them in strict mode,
 * and the checked program is transpiled and imported so it can run against a server.
 *
 * Everything is written to a fresh temporary directory. Its `node_modules` is a link to the
 * repository's, so `openapi-fetch` resolves there exactly as in a consumer's project.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import type { ConsumerResult } from './openapi-consumer.js';

const CONSUMER_SOURCE = fileURLToPath(new URL('./openapi-consumer.ts', import.meta.url));
const REPO_NODE_MODULES = fileURLToPath(new URL('../../../../node_modules', import.meta.url));

/** What a consumer compiles with: strict, ES modules resolved like a bundler, browser-style fetch. */
const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: [],
  skipLibCheck: false,
};

export interface ConsumerBuild {
  readonly dir: string;
  /** The generated `paths` module, as written. */
  readonly generatedTypes: string;
  /** Compiler diagnostics, one line each (`file:line:col TSnnnn message`); empty when clean. */
  readonly diagnostics: string[];
  /** Runs the (transpiled) consumer against a server. */
  run(baseUrl: string, adminToken: string, tenantId: string): Promise<ConsumerResult>;
  dispose(): void;
}

export async function buildConsumer(doc: object): Promise<ConsumerBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-openapi-consumer-'));
  try {
    symlinkSync(REPO_NODE_MODULES, join(dir, 'node_modules'), 'dir');
    const generatedTypes = astToString(await openapiTS(doc as Parameters<typeof openapiTS>[0], { silent: true }));
    writeFileSync(join(dir, 'openapi-consumer-paths.ts'), generatedTypes);
    const consumerPath = join(dir, 'openapi-consumer.ts');
    copyFileSync(CONSUMER_SOURCE, consumerPath);
    const diagnostics = typeCheck(consumerPath);

    // Types are erased, so the program runs the same whether or not it type-checked.
    const js = ts.transpileModule(readFileSync(consumerPath, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const modulePath = join(dir, 'openapi-consumer.mjs');
    writeFileSync(modulePath, js);
    return {
      dir,
      generatedTypes,
      diagnostics,
      async run(baseUrl, adminToken, tenantId) {
        const consumer = (await import(/* @vite-ignore */ pathToFileURL(modulePath).href)) as typeof import('./openapi-consumer.js');
        return consumer.runConsumer(baseUrl, adminToken, tenantId);
      },
      dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function typeCheck(entry: string): string[] {
  const program = ts.createProgram([entry], COMPILER_OPTIONS);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    if (!d.file || d.start === undefined) return `TS${d.code} ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const source = d.file.text.split('\n')[line]?.trim() ?? '';
    return `${d.file.fileName.replace(/^.*[\\/]/, '')}:${line + 1}:${character + 1} TS${d.code} ${text}\n    > ${source.slice(0, 200)}`;
  });
}
