/** The text of src/generated/api.ts, from the contract (built) through openapi-typescript. */
import openapiTS, { astToString } from 'openapi-typescript';
import { buildOpenApi, OPERATIONS } from '@coffer/contract';

const HEADER = `/**
 * Generated from the API contract (@coffer/contract) by openapi-typescript: do not edit.
 * Regenerate with \`npm run generate\` after changing the contract.
 */
/* eslint-disable */
`;

export async function generateSdkTypes() {
  const doc = buildOpenApi(OPERATIONS, { version: '0.1.0' });
  const ast = await openapiTS(doc, { alphabetize: false, exportType: false });
  return HEADER + astToString(ast);
}
