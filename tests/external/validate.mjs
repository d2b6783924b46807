#!/usr/bin/env node
// Usage: node validate.mjs DIR
//
// Checks every *.json file under DIR (recursively) against the official
// FHIR R4 JSON schema. Each file holds one resource as the server returned
// it (a Bundle, an OperationOutcome, a CapabilityStatement, any resource).
//
// Resources the server marked SUBSETTED (meta.tag, answers to _elements or _summary) leave
// out required elements by design, as FHIR allows; they are not schema-checked and are
// counted apart.
//
// Prints each invalid file with its errors, then one summary line. Exits 1
// if a file is invalid, if a file is not JSON, or if DIR holds no *.json
// file at all (a check that checked nothing must fail); 0 otherwise.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { formatErrors, schemaErrors } from './fhir-schema.mjs';

const dir = process.argv[2];
if (!dir || process.argv.length > 3) {
  console.error('usage: node validate.mjs DIR');
  process.exit(2);
}

try {
  if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
} catch (err) {
  console.error(`external schema check: cannot read directory ${dir}: ${err.message}`);
  process.exit(1);
}

// Every *.json file under dir, in a stable order.
const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
  .sort();

const SUBSETTED = 'SUBSETTED';
const subsetted = (r) => Array.isArray(r?.meta?.tag) && r.meta.tag.some((t) => t?.code === SUBSETTED);
let skipped = 0;

// The resource without its SUBSETTED parts: a subsetted resource itself becomes null,
// subsetted Bundle entries are dropped.
function withoutSubsets(resource) {
  if (subsetted(resource)) return null;
  if (resource?.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    const entry = resource.entry.filter((e) => !subsetted(e?.resource));
    skipped += resource.entry.length - entry.length;
    if (entry.length !== resource.entry.length) return { ...resource, entry: entry.length ? entry : undefined };
  }
  return resource;
}

let valid = 0;
let invalid = 0;
for (const file of files) {
  const name = relative(dir, file);
  let errors;
  try {
    const resource = withoutSubsets(JSON.parse(await readFile(file, 'utf8')));
    if (resource === null) {
      skipped++;
      continue;
    }
    errors = schemaErrors(JSON.parse(JSON.stringify(resource)));
  } catch (err) {
    errors = [{ path: '/', message: `not JSON: ${err.message}` }];
  }
  if (errors.length === 0) {
    valid++;
  } else {
    invalid++;
    console.log(`${name}: invalid`);
    console.log(formatErrors(errors));
  }
}

if (files.length === 0) {
  console.log(`external schema check: no *.json file under ${dir}, nothing was checked`);
  process.exit(1);
}
console.log(`external schema check: ${valid} resources valid, ${invalid} invalid (${skipped} subsetted resources not checked)`);
process.exit(invalid === 0 ? 0 : 1);
