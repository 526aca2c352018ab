/**
 * Regenerates src/openapi/catalogue-data.ts from the API reference's operations.json.
 * The runtime never reads the reference (it is not shipped); this script copies the fields the
 * client, the actions and the limiter need. test/openapi/catalogue-sync.test.ts fails when the
 * two drift apart.
 *
 *   npx node scripts/gen-openapi-catalogue.ts [path/to/operations.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderCatalogueData } from '../src/openapi/catalogue-render.ts';

const source = process.argv[2] ?? '/work/shared/feishu-project-api/operations.json';
const target = fileURLToPath(new URL('../src/openapi/catalogue-data.ts', import.meta.url));
const text = renderCatalogueData(JSON.parse(readFileSync(source, 'utf8')) as unknown);
const options = (await resolveConfig(target)) ?? {};
writeFileSync(target, await format(text, { ...options, filepath: target }));
console.log(`wrote ${target}`);
