import type { Command } from 'commander';
import { contextOf } from '../context.js';
import type { Io } from '../io.js';
import { UsageError } from '../output.js';

export function registerServe(program: Command, io: Io, onServer?: (stop: () => Promise<void>) => void): void {
  program
    .command('serve')
    .description('start the REST API (initialises the data directory on first run and prints the first admin token once); see COFFER_* variables such as COFFER_REDIS_URL and COFFER_METRICS_PORT')
    .option('--port <port>', 'port (env COFFER_PORT, default 8080; 0 picks a free one)')
    .option('--host <host>', 'address to listen on (env COFFER_HOST, default 127.0.0.1)')
    .action(async (flags: { port?: string; host?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      // Loaded here, not at the top: every other command starts faster without the HTTP stack.
      const { serverOptionsFromEnv, startServer } = await import('@coffer/server');
      if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) throw new UsageError('--port must be a port number.');
      const options = serverOptionsFromEnv(io.env, {
        ...(flags.port !== undefined ? { port: Number(flags.port) } : {}),
        ...(flags.host !== undefined ? { host: flags.host } : {}),
      });
      const server = await startServer(ctx.config, options);
      const lines = [`Coffer is listening on ${server.url}`, `  database  ${server.coffer.database}`];
      // COFFER_METRICS_PORT: a scraper's listener, served without a token.
      if (server.metricsUrl) lines.push(`  metrics   ${server.metricsUrl}/metrics (no token)`);
      // COFFER_AUDIT_CHECKPOINT_DIR: signed checkpoints of the audit log, to ship off this machine.
      if (options.auditCheckpointDir !== undefined) lines.push(`  audit checkpoints  ${options.auditCheckpointDir} (every 1,000 events or 60 s)`);
      if (server.adminToken) {
        lines.push(
          '',
          'First run: an admin token was created. It is shown this once; store it in your secret manager:',
          '',
          `  ${server.adminToken}`,
          '',
          `Try: curl -H "Authorization: Bearer ${server.adminToken}" ${server.url}/v1/tenants`,
        );
      }
      ctx.out.result({ url: server.url, database: server.coffer.database, adminToken: server.adminToken, ...(server.metricsUrl ? { metricsUrl: server.metricsUrl } : {}) }, () => lines.join('\n'));

      // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database, exit 0.
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        io.stderr.write('Shutting down: draining in-flight requests…\n');
        await server.close();
      };
      onServer?.(stop);
      await new Promise<void>((resolve) => {
        const onSignal = () => void stop().then(resolve);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        server.app.server.once('close', () => void stop().then(resolve));
      });
    });
}
