import { readFileSync } from 'node:fs';
import {
  docWithReference,
  JSON_SCHEMA_PATH,
  jsonSchemaText,
  REFERENCE_DOC_PATH,
} from '../../local/policy-reference';

describe('the policy reference generated from the schema', () => {
  it('is current in docs/policy.md (run npm run docs:policy after changing the schema)', () => {
    const doc = readFileSync(REFERENCE_DOC_PATH, 'utf8');
    expect(docWithReference(doc)).toBe(doc);
  });

  it('is current in policy/policy.schema.json', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(jsonSchemaText());
  });
});
