/**
 * The provider catalog: the built-in definitions shipped in `packages/core/providers/`, plus a
 * team's own from a directory (`COFFER_PROVIDERS_DIR`), each a `.json`, `.yaml` or `.yml` file.
 * Everything is validated once, at load; a bad definition stops start-up with its file, the
 * field and the reason. A definition in the team's directory with a built-in's id replaces it
 * (to pin another API version, say); two files with one id in the same directory are refused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { CofferError } from '../errors.js';
import { ProviderDefinition } from './provider-schema.js';
import { PROVIDER_ID } from './provider-id.js';

/** Where the built-in definitions live (the same path from src/ and dist/). */
export const BUILTIN_PROVIDERS_DIR = fileURLToPath(new URL('../../providers/', import.meta.url));

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);
/** Definitions are small; a larger file is a mistake (or not a definition). */
const MAX_FILE_BYTES = 256 * 1024;

export type ProviderSource = 'builtin' | 'custom';

export interface CatalogEntry {
  readonly definition: ProviderDefinition;
  readonly source: ProviderSource;
  readonly file: string;
}

export class ProviderCatalog {
  private readonly byId: ReadonlyMap<string, CatalogEntry>;

  constructor(entries: Iterable<CatalogEntry>) {
    this.byId = new Map([...entries].map((e) => [e.definition.id, e]));
  }

  /** All providers, by id. */
  list(): CatalogEntry[] {
    return [...this.byId.values()].sort((a, b) => a.definition.id.localeCompare(b.definition.id));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The definition of `id`; PROVIDER_NOT_FOUND otherwise. */
  get(id: string): ProviderDefinition {
    const entry = typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!entry) {
      // Only a well-formed id is repeated: anything else may be a credential pasted into the field.
      const shown = typeof id === 'string' && PROVIDER_ID.test(id) ? ` "${id}"` : ' with that id';
      throw new CofferError('PROVIDER_NOT_FOUND', `No provider${shown}. \`coffer providers list\` shows the catalog.`);
    }
    return entry.definition;
  }
}

/** Reads and validates one definition file. */
export function readProviderFile(file: string): ProviderDefinition {
  const invalid = (reason: string) => new CofferError('PROVIDER_INVALID', `Provider definition ${file}: ${reason}`, { file });
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw invalid(`is larger than ${MAX_FILE_BYTES / 1024} KiB`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CofferError) throw err;
    throw invalid(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 10 });
  } catch (err) {
    throw invalid(`is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = ProviderDefinition.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    const message = issue.code === 'unrecognized_keys' ? `has unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw invalid(`field ${field} ${message}`);
  }
  return parsed.data;
}

function readDirectory(dir: string, source: ProviderSource): CatalogEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (source === 'builtin') throw new CofferError('INTERNAL', `The built-in provider definitions are missing from this installation (${dir}: ${code}); reinstall Coffer.`);
    throw new CofferError('CONFIG_INVALID', `COFFER_PROVIDERS_DIR: cannot read ${dir} (${code}); it must be a directory of provider definitions.`);
  }
  const entries: CatalogEntry[] = [];
  const seen = new Map<string, string>();
  for (const name of names.sort()) {
    if (!EXTENSIONS.has(extname(name)) || name.startsWith('.')) continue;
    const file = join(dir, name);
    const definition = readProviderFile(file);
    const other = seen.get(definition.id);
    if (other) throw new CofferError('PROVIDER_INVALID', `Provider definition ${file}: field id "${definition.id}" is also defined in ${other}`, { file });
    seen.set(definition.id, file);
    entries.push({ definition, source, file });
  }
  return entries;
}

/** Loads the built-in catalog and, if given, a directory of the team's own definitions. */
export function loadProviderCatalog(options: { dir?: string; builtinDir?: string } = {}): ProviderCatalog {
  const builtin = readDirectory(options.builtinDir ?? BUILTIN_PROVIDERS_DIR, 'builtin');
  const custom = options.dir ? readDirectory(options.dir, 'custom') : [];
  // Later entries win: a team's definition replaces the built-in of the same id.
  return new ProviderCatalog([...builtin, ...custom]);
}
