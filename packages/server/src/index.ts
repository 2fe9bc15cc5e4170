/** Public surface of @coffer/server. */
export { buildApp, describeError, ROUTES, API_VERSION, type AppDeps } from './app.js';
export { startServer, serverOptionsFromEnv, ServerConfigError, type RunningServer, type ServerOptions } from './serve.js';
export { createMetrics, type Metrics } from './metrics.js';
export { HTTP_STATUS, type ServerErrorCode } from './http-errors.js';
export { openApiDocument } from './openapi.js';
