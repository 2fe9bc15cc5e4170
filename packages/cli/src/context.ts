/** Turns flags and environment into a validated configuration, and opens the vault for a command. */
import { userInfo } from 'node:os';
import { configFromEnv, createCoffer, type Actor, type Coffer, type OpenHooks, type ResolvedConfig } from '@coffer/core';
import type { Command } from 'commander';
import type { Io } from './io.js';
import { Output } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

export interface CommandContext {
  readonly io: Io;
  readonly out: Output;
  readonly config: ResolvedConfig;
}

export function contextOf(cmd: Command, io: Io): CommandContext {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const out = new Output(io, opts.json === true);
  return { io, out, config: configFromEnv(io.env, opts.dataDir ? { dataDir: opts.dataDir } : {}) };
}

/**
 * Who acts in a command run on the data directory directly: `cli:<os user>`. There is no API
 * token, but a local change or reveal is still audited, by core, with this actor.
 */
export function cliActor(): Actor {
  try {
    return { actor: `cli:${userInfo().username}` };
  } catch {
    return { actor: 'cli' };
  }
}

/** Opens the vault (never creating one: that is `coffer init`), runs `fn`, closes. */
export async function withCoffer<T>(ctx: CommandContext, fn: (coffer: Coffer) => Promise<T>, hooks: OpenHooks = {}): Promise<T> {
  const coffer = await createCoffer({ ...ctx.config, createIfMissing: false }, {
    ...hooks,
    onMigration: ({ name }) => ctx.out.note(`Applied database migration ${name}.`),
  });
  try {
    // Acting as the CLI user: core audits every change and reveal with actor `cli:<user>`.
    return await fn(coffer.as(cliActor()));
  } finally {
    await coffer.close();
  }
}
