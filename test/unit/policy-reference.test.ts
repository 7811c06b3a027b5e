import { readFileSync } from 'node:fs';
import {
  JSON_SCHEMA_PATH,
  jsonSchemaText,
  README_PATH,
  readmeWithReference,
} from '../../local/policy-reference';

describe('the policy reference generated from the schema', () => {
  it('is current in README (run npm run docs:policy after changing the schema)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readmeWithReference(readme)).toBe(readme);
  });

  it('is current in policy/policy.schema.json', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(jsonSchemaText());
  });
});
