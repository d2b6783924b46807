#!/usr/bin/env node
// Exercises a running Carnet server through a third-party FHIR client
// (fhir-kit-client), as an outside application would.
//
// Environment:
//   CARNET_FHIR_BASE  FHIR base URL, e.g. http://127.0.0.1:8080/fhir/r4
//   CARNET_TOKEN      access token, sent as "Authorization: Bearer <token>"
//   CARNET_PATIENT    the holder's own Patient, e.g. Patient/abc
//
// Prints one TAP-like line per step ("ok - <step>" or
// "not ok - <step>: <reason>") and a summary line; exits 1 if a step failed.
// Every resource the server returns, error bodies included, must also pass
// the FHIR R4 JSON schema check, or its step fails.

import { randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import { formatErrors, schemaErrors } from './fhir-schema.mjs';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const BODY_WEIGHT = { system: LOINC, code: '29463-7', display: 'Body weight' };
const BODY_WEIGHT_TOKEN = `${LOINC}|${BODY_WEIGHT.code}`;
const PAGE_SIZE = 10;
const MORE_WEIGHTS = 25; // created by the paging step, besides the first one
const MAX_PAGES = 100; // bound on the paging loop, whatever the links say
const STEP_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- settings

const { CARNET_FHIR_BASE: base, CARNET_TOKEN: token, CARNET_PATIENT: patient } = process.env;
if (!base || !token || !patient || process.argv.length > 2) {
  console.error(`usage: CARNET_FHIR_BASE=URL CARNET_TOKEN=TOKEN CARNET_PATIENT=Patient/ID node client.mjs

  CARNET_FHIR_BASE  FHIR base URL, e.g. http://127.0.0.1:8080/fhir/r4${base ? '' : '   (missing)'}
  CARNET_TOKEN      bearer token of a holder${token ? '' : '   (missing)'}
  CARNET_PATIENT    that holder's own Patient, e.g. Patient/abc${patient ? '' : '   (missing)'}`);
  process.exit(2);
}
if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) {
  console.error(`CARNET_PATIENT must be a relative reference like Patient/abc, not '${patient}'`);
  process.exit(2);
}

const client = new Client({ baseUrl: base, bearerToken: token });

// ---------------------------------------------------------------- helpers

/** Throws with `message` unless `condition` holds. */
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Checks a resource the server returned against the R4 JSON schema and
 * returns it. `what` names it in the failure message.
 */
function conforming(resource, what) {
  const errors = schemaErrors(resource);
  expect(errors.length === 0, `${what} fails the FHIR R4 JSON schema:\n${formatErrors(errors, '    ')}`);
  return resource;
}

/** HTTP status of a successful fhir-kit-client result. */
function statusOf(result) {
  return Client.httpFor(result).response?.status;
}

/**
 * fhir-kit-client rejects a non-2xx answer (or a body that is not JSON)
 * with an Error carrying `response: { status, data }` (data: the parsed
 * JSON body, or the raw text) and `config: { method, url, ... }`.
 * Returns that { status, data, method, url }, or rethrows anything else.
 */
function httpFailure(err) {
  if (!err?.response?.status) throw err;
  return { status: err.response.status, data: err.response.data, method: err.config?.method, url: err.config?.url };
}

/** Awaits `promise`, which must reject with an HTTP error; returns that. */
async function expectHttpFailure(promise, what) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    return httpFailure(err);
  }
  throw new Error(`${what} succeeded (HTTP ${statusOf(result)}) but should have failed`);
}

/** The text of an OperationOutcome's issues, for messages. */
function outcomeText(outcome) {
  return (outcome.issue ?? [])
    .map((i) => i.diagnostics ?? i.details?.text ?? `${i.severity} ${i.code}`)
    .join('; ');
}

/** A one-line account of any failure, for the "not ok" line. */
function describeFailure(err) {
  if (err?.response?.status) {
    const { status, data, method, url } = httpFailure(err);
    let detail = '';
    if (data?.resourceType === 'OperationOutcome') detail = outcomeText(data);
    else if (typeof data === 'string') detail = data.slice(0, 200);
    return `HTTP ${status} on ${method} ${url}${detail ? `: ${detail}` : ''}`;
  }
  // fetch() wraps connection failures in "fetch failed" with the real cause.
  const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message})` : '';
  return `${err?.message ?? String(err)}${cause}`;
}

/** The id from a Location such as [base/]Observation/123[/_history/1]. */
function idFromLocation(location, resourceType) {
  const match = new RegExp(`(?:^|/)${resourceType}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(
    location ?? '',
  );
  return match?.[1];
}

/** The resources of a Bundle's entries that are search matches. */
function matches(bundle) {
  return (bundle.entry ?? []).filter((e) => (e.search?.mode ?? 'match') === 'match').map((e) => e.resource);
}

function bodyWeight(effectiveDateTime, kg, extra = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
          },
        ],
      },
    ],
    code: { coding: [BODY_WEIGHT], text: 'Body weight' },
    subject: { reference: patient },
    effectiveDateTime,
    valueQuantity: { value: kg, unit: 'kg', system: UCUM, code: 'kg' },
    ...extra,
  };
}

// ---------------------------------------------------------------- steps

let passed = 0;
let failed = 0;

/** Runs one step, with a time limit, and prints its TAP-like line. */
async function step(name, body) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
  });
  try {
    await Promise.race([body(), timeout]);
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}: ${describeFailure(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

// State shared between steps: the first body weight (created in step 2,
// updated in step 3, deleted in step 8).
let firstWeight;
const weightIds = new Set(); // every body weight this run created

await step('capability statement declares FHIR 4.0.1 and Observation read/create/search-type', async () => {
  const cs = conforming(await client.capabilityStatement(), 'CapabilityStatement');
  expect(cs.resourceType === 'CapabilityStatement', `resourceType is ${cs.resourceType}`);
  expect(cs.fhirVersion === '4.0.1', `fhirVersion is ${cs.fhirVersion}`);
  const server = (cs.rest ?? []).find((r) => r.mode === 'server');
  expect(server, 'no rest entry with mode "server"');
  const observation = (server.resource ?? []).find((r) => r.type === 'Observation');
  expect(observation, 'Observation is not listed');
  const interactions = (observation.interaction ?? []).map((i) => i.code);
  for (const code of ['read', 'create', 'search-type']) {
    expect(interactions.includes(code), `Observation lacks interaction ${code} (has ${interactions.join(', ')})`);
  }
});

await step('create an Observation', async () => {
  const body = bodyWeight('2024-03-05T10:00:00+01:00', 72.5);
  const created = conforming(await client.create({ resourceType: 'Observation', body }), 'created Observation');
  expect(statusOf(created) === 201, `HTTP status ${statusOf(created)}, expected 201`);
  expect(created.resourceType === 'Observation', `resourceType is ${created.resourceType}`);
  expect(typeof created.id === 'string' && created.id, 'no id');
  expect(created.meta?.versionId === '1', `meta.versionId is ${created.meta?.versionId}, expected "1"`);
  expect(created.valueQuantity?.value === 72.5, `valueQuantity.value is ${created.valueQuantity?.value}`);
  firstWeight = created;
  weightIds.add(created.id);
});

await step('read, vread, update and history of that Observation', async () => {
  expect(firstWeight, 'needs the Observation of the create step');
  const { id } = firstWeight;

  const read = conforming(await client.read({ resourceType: 'Observation', id }), 'read');
  expect(read.id === id, `read returned id ${read.id}`);
  expect(read.meta?.versionId === '1', `read: meta.versionId is ${read.meta?.versionId}`);

  const v1 = conforming(await client.vread({ resourceType: 'Observation', id, version: '1' }), 'vread');
  expect(v1.id === id && v1.meta?.versionId === '1', `vread returned ${v1.id} version ${v1.meta?.versionId}`);
  expect(v1.valueQuantity?.value === 72.5, `vread: value is ${v1.valueQuantity?.value}`);

  const { meta: _meta, ...current } = read;
  const body = { ...current, valueQuantity: { ...current.valueQuantity, value: 73 } };
  const updated = conforming(await client.update({ resourceType: 'Observation', id, body }), 'updated');
  expect(statusOf(updated) === 200, `update: HTTP status ${statusOf(updated)}, expected 200`);
  expect(updated.meta?.versionId === '2', `update: meta.versionId is ${updated.meta?.versionId}, expected "2"`);
  expect(updated.valueQuantity?.value === 73, `update: value is ${updated.valueQuantity?.value}`);

  const history = conforming(await client.history({ resourceType: 'Observation', id }), 'history');
  expect(history.resourceType === 'Bundle', `history: resourceType is ${history.resourceType}`);
  expect(history.type === 'history', `history: Bundle type is ${history.type}`);
  const entries = history.entry ?? [];
  expect(entries.length === 2, `history has ${entries.length} entries, expected 2`);
  // Newest first (FHIR R4 http.html#history); request and response are
  // mandatory in history entries (Bundle invariants bdl-3, bdl-4).
  const versions = entries.map((e) => e.resource?.meta?.versionId);
  expect(versions.join() === '2,1', `history versions are ${versions.join(', ')}, expected 2, 1`);
  expect(
    entries.every((e) => e.request && e.response),
    'history entries lack request or response',
  );
});

await step(`search by code, sorted by -date, ${PAGE_SIZE} a page, following next links`, async () => {
  // 25 more body weights, created out of date order so the sort is real.
  // The order is that of the instants: 2023-01-10T23:30:00-05:00 is later
  // than 2023-01-11T02:00:00+01:00, though the smaller as text.
  for (let i = 0; i < MORE_WEIGHTS; i++) {
    const day = ((i * 7) % MORE_WEIGHTS) + 1; // a permutation of 1..25
    const time = day === 10 ? '23:30:00-05:00' : day === 11 ? '02:00:00+01:00' : '08:30:00Z';
    const date = `2023-01-${String(day).padStart(2, '0')}T${time}`;
    const body = bodyWeight(date, 70 + day / 10);
    const obs = conforming(await client.create({ resourceType: 'Observation', body }), `created Observation ${i + 1}`);
    expect(obs.id, `created Observation ${i + 1} has no id`);
    weightIds.add(obs.id);
  }

  const seen = new Set();
  let previous; // [effectiveDateTime, instant] of the last entry seen
  let bundle = await client.search({
    resourceType: 'Observation',
    searchParams: { code: BODY_WEIGHT_TOKEN, _sort: '-date', _count: PAGE_SIZE },
  });
  for (let page = 1; bundle; page++) {
    expect(page <= MAX_PAGES, `more than ${MAX_PAGES} pages: do the next links loop?`);
    conforming(bundle, `page ${page}`);
    expect(bundle.resourceType === 'Bundle' && bundle.type === 'searchset', `page ${page} is not a searchset Bundle`);
    const resources = matches(bundle);
    expect(resources.length <= PAGE_SIZE, `page ${page} has ${resources.length} matches, more than ${PAGE_SIZE}`);
    for (const r of resources) {
      expect(r?.resourceType === 'Observation', `page ${page}: a match is a ${r?.resourceType}`);
      expect(!seen.has(r.id), `Observation/${r.id} appears twice (again on page ${page})`);
      seen.add(r.id);
      const codes = (r.code?.coding ?? []).map((c) => `${c.system}|${c.code}`);
      expect(codes.includes(BODY_WEIGHT_TOKEN), `page ${page}: Observation/${r.id} has codes ${codes.join(', ')}`);
      const instant = Date.parse(r.effectiveDateTime);
      expect(!Number.isNaN(instant), `page ${page}: Observation/${r.id} has no effectiveDateTime instant`);
      expect(
        !previous || previous[1] >= instant,
        `page ${page}: ${r.effectiveDateTime} (Observation/${r.id}) comes after ${previous?.[0]}, not in -date order`,
      );
      previous = [r.effectiveDateTime, instant];
    }
    bundle = await client.nextPage({ bundle });
  }

  const missing = [...weightIds].filter((id) => !seen.has(id));
  expect(missing.length === 0, `created but never listed: ${missing.map((id) => `Observation/${id}`).join(', ')}`);
  const least = firstWeight ? MORE_WEIGHTS + 1 : MORE_WEIGHTS;
  expect(seen.size >= least, `${seen.size} distinct matches, expected at least ${least}`);
});

await step('search with _summary=count gives the total and no entries', async () => {
  const bundle = conforming(
    await client.search({ resourceType: 'Observation', searchParams: { code: BODY_WEIGHT_TOKEN, _summary: 'count' } }),
    '_summary=count Bundle',
  );
  expect(bundle.resourceType === 'Bundle' && bundle.type === 'searchset', 'not a searchset Bundle');
  expect((bundle.entry ?? []).length === 0, `${bundle.entry?.length} entries, expected none`);
  const least = Math.max(weightIds.size, MORE_WEIGHTS + 1);
  expect(Number.isInteger(bundle.total) && bundle.total >= least, `total is ${bundle.total}, expected ≥ ${least}`);
});

await step('transaction: a Condition and an Observation whose focus is its urn:uuid', async () => {
  const conditionUrn = `urn:uuid:${randomUUID()}`;
  const observationUrn = `urn:uuid:${randomUUID()}`;
  const body = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: conditionUrn,
        resource: {
          resourceType: 'Condition',
          clinicalStatus: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
          },
          code: { coding: [{ system: SNOMED, code: '38341003', display: 'Hypertension' }], text: 'Hypertension' },
          subject: { reference: patient },
        },
        request: { method: 'POST', url: 'Condition' },
      },
      {
        fullUrl: observationUrn,
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
          subject: { reference: patient },
          focus: [{ reference: conditionUrn }],
          effectiveDateTime: '2024-03-05T10:05:00+01:00',
          component: [
            {
              code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
              valueQuantity: { value: 142, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
            },
            {
              code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] },
              valueQuantity: { value: 91, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
            },
          ],
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  };
  const response = conforming(await client.transaction({ body }), 'transaction-response');
  expect(response.resourceType === 'Bundle', `resourceType is ${response.resourceType}`);
  expect(response.type === 'transaction-response', `Bundle type is ${response.type}`);
  const entries = response.entry ?? [];
  expect(entries.length === 2, `${entries.length} entries, expected 2`);
  entries.forEach((e, i) => {
    expect(String(e.response?.status ?? '').startsWith('201'), `entry ${i}: response.status is ${e.response?.status}`);
  });

  // Entries answer in the order of the request; the id comes from the
  // Location, or from the returned resource.
  const conditionId = idFromLocation(entries[0].response.location, 'Condition') ?? entries[0].resource?.id;
  const observationId = idFromLocation(entries[1].response.location, 'Observation') ?? entries[1].resource?.id;
  expect(conditionId, `no Condition id in entry 0 (location ${entries[0].response.location})`);
  expect(observationId, `no Observation id in entry 1 (location ${entries[1].response.location})`);

  const condition = conforming(await client.read({ resourceType: 'Condition', id: conditionId }), 'Condition');
  expect(condition.code?.coding?.[0]?.code === '38341003', 'the Condition read back lacks its code');
  const observation = conforming(await client.read({ resourceType: 'Observation', id: observationId }), 'Observation');
  const focus = observation.focus?.[0]?.reference;
  expect(focus === `Condition/${conditionId}`, `focus is ${focus}, expected Condition/${conditionId}`);
});

await step('a transaction with an invalid entry fails and stores nothing', async () => {
  const marker = randomUUID();
  const body = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: bodyWeight('2024-03-06T10:00:00+01:00', 72.8, {
          identifier: [{ system: 'urn:carnet:test', value: marker }],
        }),
        request: { method: 'POST', url: 'Observation' },
      },
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        // Observation.status is required (1..1): the server must refuse this.
        resource: {
          resourceType: 'Observation',
          code: { coding: [BODY_WEIGHT] },
          subject: { reference: patient },
          valueQuantity: { value: 72.9, unit: 'kg', system: UCUM, code: 'kg' },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  };
  const failure = await expectHttpFailure(client.transaction({ body }), 'the transaction');
  expect(failure.status >= 400 && failure.status < 500, `HTTP ${failure.status}, expected 4xx`);
  expect(
    failure.data?.resourceType === 'OperationOutcome',
    `the error body is not an OperationOutcome: ${JSON.stringify(failure.data).slice(0, 200)}`,
  );
  conforming(failure.data, 'OperationOutcome');

  const bundle = conforming(
    await client.search({ resourceType: 'Observation', searchParams: { identifier: `urn:carnet:test|${marker}` } }),
    'search by identifier',
  );
  const found = matches(bundle);
  expect(found.length === 0, `the valid entry was stored anyway: Observation/${found[0]?.id}`);
  expect(bundle.total === undefined || bundle.total === 0, `search total is ${bundle.total}, expected 0`);
});

await step('delete the first Observation; reading it then gives 410 Gone', async () => {
  expect(firstWeight, 'needs the Observation of the create step');
  const { id } = firstWeight;
  const deleted = await client.delete({ resourceType: 'Observation', id });
  // fhir-kit-client gives {} for an empty body (204 No Content).
  if (Object.keys(deleted).length > 0) conforming(deleted, 'delete response');
  expect([200, 202, 204].includes(statusOf(deleted)), `delete: HTTP status ${statusOf(deleted)}`);

  const failure = await expectHttpFailure(client.read({ resourceType: 'Observation', id }), 'reading it');
  expect(failure.status === 410, `HTTP ${failure.status}, expected 410`);
  if (typeof failure.data === 'object' && Object.keys(failure.data).length > 0) {
    conforming(failure.data, '410 body');
  }
});

console.log(`external client check: ${passed} passed, ${failed} failed`);
// Exit explicitly: keep-alive connections would otherwise hold the process.
process.exit(failed === 0 ? 0 : 1);
