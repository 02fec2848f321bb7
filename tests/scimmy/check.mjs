// Drives the SCIM 2.0 routes of a running `claimmap serve` as an IAM tool
// does, and validates every answer with npm's scimmy (a SCIM library nobody
// here wrote), for tests/scim_scimmy_test.sh (docs/spec.md §13):
//
//   node check.mjs BASE_URL TOKEN      BASE_URL = http://HOST:PORT/scim/v2
//
// The server must be fresh (no users) on tests/data/live/old.json with
// --scim-provider entra. Every answer's body goes through one validator:
//   resources        SCIMMY.Schemas.{User,Group,ServiceProviderConfig,
//                    ResourceType}.definition.coerce(body, "out"), and no
//                    attribute may be lost on the way (coerce drops what its
//                    schema does not define, silently) or change its value;
//                    User and Group resources also against the schemas the
//                    server itself declares at /Schemas
//   /Schemas         an RFC 7643 §7 schema of schemas built from scimmy's
//                    Attribute and SchemaDefinition, and each declared
//                    attribute rebuilt as a scimmy Attribute (which checks
//                    its characteristics), its type and plurality as RFC
//                    7643 §4 (scimmy's User and Group) has them
//   ListResponse     new SCIMMY.Messages.ListResponse(body), then each
//                    resource as above
//   errors           SCIMMY.Messages.Error: the status and scimType must be
//                    a pair RFC 7644 §3.12 allows, and scimmy must read the
//                    body back as that error
// and every PATCH body sent is a valid SCIMMY.Messages.PatchOp. Where the
// RFC fixes the outcome, scimmy's own PatchOp.apply on a copy of the
// resource is the oracle the server's answer is compared with.
//
// Prints "ok   NAME" or "FAIL NAME: why" per check, then "N passed, M failed";
// exits 1 if any failed.
import SCIMMY from 'scimmy';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node check.mjs BASE_URL TOKEN');
  process.exit(2);
}

const USER = SCIMMY.Schemas.User.id;
const GROUP = SCIMMY.Schemas.Group.id;
const PATCH_OP = SCIMMY.Messages.PatchOp.id;
const T = SCIMMY.Types;

// ---- reporting --------------------------------------------------------------

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
function expect(what, actual, expected) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
function scimmy(what, f) {
  try {
    return f();
  } catch (e) {
    throw new Error(`scimmy refuses ${what}: ${e.message}`);
  }
}

// ---- HTTP -------------------------------------------------------------------

// Sends one request; the answer must have `status`, and a body (every status
// but 204) that is application/scim+json and passes `as`. Returns the body.
async function send(method, path, { body, raw, auth = true, status, as }) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined || raw !== undefined) headers['Content-Type'] = 'application/scim+json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  const where = `${method} ${path}`;
  if (res.status !== status) throw new Error(`${where}: HTTP ${res.status}, expected ${status}: ${text.slice(0, 500)}`);
  if (status === 204) {
    if (text !== '') throw new Error(`${where}: 204 with a body: ${text.slice(0, 200)}`);
    return null;
  }
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/scim+json')) throw new Error(`${where}: Content-Type "${type}"`);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where}: the body is not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof as !== 'function') throw new Error(`${where}: no validator for this answer`);
  try {
    as(json, res);
  } catch (e) {
    throw new Error(`${where} → ${status}: ${e.message}\n     body: ${text.slice(0, 800)}`);
  }
  return json;
}

// A PATCH body the test sends: scimmy must find it a valid PatchOp message.
function patchOp(operations) {
  const body = { schemas: [PATCH_OP], Operations: operations };
  scimmy('the PATCH body the test sends', () => new SCIMMY.Messages.PatchOp(body));
  return body;
}

// ---- validators -------------------------------------------------------------

// What scimmy's coerce lost or changed of `sent`: attributes its schema does
// not define are dropped silently, so each member must be found again, with
// the same value, in the coerced result.
function lost(sent, coerced, where = '') {
  const out = [];
  const at = (k) => (where ? `${where}.${k}` : String(k));
  if (Array.isArray(sent)) {
    if (!Array.isArray(coerced) || coerced.length !== sent.length) return [`${where} (a list of ${sent.length})`];
    sent.forEach((v, i) => out.push(...lost(v, coerced[i], `${where}[${i}]`)));
  } else if (sent !== null && typeof sent === 'object') {
    if (coerced === null || typeof coerced !== 'object') return [where];
    for (const [k, v] of Object.entries(sent)) {
      if (where === '' && k === 'schemas') continue;
      const key = Object.keys(coerced).find((c) => c.toLowerCase() === k.toLowerCase());
      if (key === undefined) out.push(`${at(k)} (not in the schema)`);
      else out.push(...lost(v, coerced[key], at(k)));
    }
  } else if (sent !== coerced) {
    out.push(`${where} (${JSON.stringify(sent)} became ${JSON.stringify(coerced)})`);
  }
  return out;
}

function coerceWhole(definition, body, what) {
  const coerced = scimmy(what, () => JSON.parse(JSON.stringify(definition.coerce(body, 'out'))));
  const missing = lost(body, coerced);
  if (missing.length) throw new Error(`coercing ${what} loses ${missing.join(', ')}`);
  if (!Array.isArray(body.schemas) || !body.schemas.includes(definition.id)) {
    throw new Error(`schemas ${JSON.stringify(body.schemas)} does not list ${definition.id}`);
  }
}

// meta.resourceType and an absolute meta.location naming this resource.
function checkMeta(body, resourceType, endpoint, id) {
  expect('meta.resourceType', body.meta?.resourceType, resourceType);
  const location = body.meta?.location ?? '';
  const prefix = `${base}/${endpoint}`;
  if (id === undefined) {
    expect('meta.location', location, prefix);
  } else {
    if (!location.startsWith(`${prefix}/`)) throw new Error(`meta.location "${location}" is not under ${prefix}/`);
    expect('meta.location names the id', decodeURIComponent(location.slice(prefix.length + 1)), id);
  }
}

// The schemas the server declares at /Schemas, rebuilt as scimmy
// definitions (filled by the discovery checks, which run first).
const declared = new Map();

function userResource(body) {
  coerceWhole(SCIMMY.Schemas.User.definition, body, 'the User by scimmy\'s RFC 7643 schema');
  if (declared.has(USER)) coerceWhole(declared.get(USER), body, 'the User, by the schema the server declares');
  expect('id = userName', body.id, body.userName);
  checkMeta(body, 'User', 'Users', body.id);
}

function groupResource(body) {
  coerceWhole(SCIMMY.Schemas.Group.definition, body, 'the Group by scimmy\'s RFC 7643 schema');
  if (declared.has(GROUP)) coerceWhole(declared.get(GROUP), body, 'the Group, by the schema the server declares');
  expect('id = displayName', body.id, body.displayName);
  checkMeta(body, 'Group', 'Groups', body.id);
}

function serviceProviderConfig(body) {
  coerceWhole(SCIMMY.Schemas.ServiceProviderConfig.definition, body, 'the ServiceProviderConfig');
  checkMeta(body, 'ServiceProviderConfig', 'ServiceProviderConfig');
}

function resourceType(body) {
  coerceWhole(SCIMMY.Schemas.ResourceType.definition, body, 'the ResourceType');
  checkMeta(body, 'ResourceType', 'ResourceTypes', body.id);
}

// RFC 7643 §7's schema of a schema definition, in scimmy's own types.
const attributeCharacteristics = () => [
  new T.Attribute('string', 'name', { required: true, caseExact: true }),
  new T.Attribute('string', 'type', {
    required: true,
    canonicalValues: ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'],
  }),
  new T.Attribute('boolean', 'multiValued', { required: true }),
  new T.Attribute('string', 'description', { required: true }),
  new T.Attribute('boolean', 'required', { required: true }),
  new T.Attribute('string', 'canonicalValues', { multiValued: true }),
  new T.Attribute('boolean', 'caseExact'),
  new T.Attribute('string', 'mutability', {
    required: true,
    canonicalValues: ['readOnly', 'readWrite', 'immutable', 'writeOnly'],
  }),
  new T.Attribute('string', 'returned', { required: true, canonicalValues: ['always', 'never', 'default', 'request'] }),
  new T.Attribute('string', 'uniqueness', { canonicalValues: ['none', 'server', 'global'] }),
  new T.Attribute('string', 'referenceTypes', { multiValued: true }),
];
const schemaOfSchemas = new T.SchemaDefinition('Schema', 'urn:ietf:params:scim:schemas:core:2.0:Schema', 'RFC 7643 §7', [
  new T.Attribute('string', 'name'),
  new T.Attribute('string', 'description'),
  new T.Attribute('complex', 'attributes', { required: true, multiValued: true }, [
    ...attributeCharacteristics(),
    new T.Attribute('complex', 'subAttributes', { multiValued: true }, attributeCharacteristics()),
  ]),
]);

// A declared attribute as a scimmy Attribute: its constructor refuses a bad
// name, type or characteristic.
function toAttribute(a, where) {
  const config = {
    multiValued: a.multiValued,
    required: a.required,
    description: a.description,
    mutable: a.mutability,
    returned: a.returned,
    ...(a.caseExact !== undefined ? { caseExact: a.caseExact } : {}),
    ...(a.uniqueness !== undefined ? { uniqueness: a.uniqueness } : {}),
    ...(a.canonicalValues !== undefined ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes !== undefined ? { referenceTypes: a.referenceTypes } : {}),
  };
  const subs = (a.subAttributes ?? []).map((s) => toAttribute(s, `${where}.${s.name}`));
  return scimmy(`attribute ${where}`, () => new T.Attribute(a.type, a.name, config, subs));
}

// Each declared attribute has the type and plurality RFC 7643 gives it
// (scimmy's definition of the same schema), sub-attributes included.
function sameAsRfc(ours, rfc, where) {
  for (const a of ours) {
    const theirs = rfc.find((r) => r.name === a.name);
    if (!theirs) throw new Error(`${where}${a.name} is not an attribute of RFC 7643's schema`);
    expect(`${where}${a.name} type`, a.type, theirs.type);
    expect(`${where}${a.name} multiValued`, a.multiValued, theirs.config.multiValued);
    if (a.subAttributes) sameAsRfc(a.subAttributes, theirs.subAttributes, `${where}${a.name}.`);
  }
}

function schemaResource(body) {
  coerceWhole(schemaOfSchemas, body, 'the Schema');
  checkMeta(body, 'Schema', 'Schemas', body.id);
  const rfc = { [USER]: SCIMMY.Schemas.User.definition, [GROUP]: SCIMMY.Schemas.Group.definition }[body.id];
  if (!rfc) throw new Error(`unexpected schema ${body.id}`);
  const attributes = body.attributes.map((a) => toAttribute(a, a.name));
  sameAsRfc(body.attributes, rfc.attributes, '');
  declared.set(body.id, scimmy(`schema ${body.id}`, () => new T.SchemaDefinition(body.name, body.id, body.description, attributes)));
}

// A ListResponse of `item`s: the message as scimmy reads it, then the
// paging numbers as RFC 7644 §3.4.2 defines them.
function listOf(item, { total, start, items } = {}) {
  return (body) => {
    scimmy('the ListResponse', () => new SCIMMY.Messages.ListResponse(body));
    const extra = Object.keys(body).filter(
      (k) => !['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'].includes(k),
    );
    if (extra.length) throw new Error(`a ListResponse has no member ${extra.join(', ')}`);
    if (!Array.isArray(body.Resources)) throw new Error('Resources is not a list');
    expect('itemsPerPage = the resources in this page', body.itemsPerPage, body.Resources.length);
    if (body.startIndex - 1 + body.Resources.length > body.totalResults) {
      throw new Error(`startIndex ${body.startIndex} + ${body.Resources.length} resources runs past totalResults ${body.totalResults}`);
    }
    if (total !== undefined) expect('totalResults', body.totalResults, total);
    if (start !== undefined) expect('startIndex', body.startIndex, start);
    if (items !== undefined) expect('itemsPerPage', body.itemsPerPage, items);
    body.Resources.forEach((r, i) => {
      try {
        item(r);
      } catch (e) {
        throw new Error(`Resources[${i}]: ${e.message}`);
      }
    });
  };
}

// A SCIM error with this status and scimType (undefined: none).
function scimError(status, scimType) {
  return (body) => {
    expect('schemas', body.schemas, [SCIMMY.Messages.Error.id]);
    expect('status (a string)', body.status, String(status));
    expect('scimType', body.scimType, scimType);
    if (typeof body.detail !== 'string' || body.detail === '') throw new Error('no detail');
    const extra = Object.keys(body).filter((k) => !['schemas', 'status', 'scimType', 'detail'].includes(k));
    if (extra.length) throw new Error(`an Error has no member ${extra.join(', ')}`);
    // scimmy builds an Error message only from a status and scimType that
    // RFC 7644 §3.12 allows together…
    scimmy('the error status and scimType', () => new SCIMMY.Messages.Error({ status, scimType, detail: body.detail }));
    // …and reads a body that lists the Error schema as the error it names.
    let read;
    try {
      new SCIMMY.Messages.Error(body);
    } catch (e) {
      read = e;
    }
    if (!(read instanceof T.Error)) throw new Error(`scimmy did not read the body as a SCIM error (${read?.message})`);
    expect('the error scimmy read', [String(read.status), read.scimType], [String(status), scimType]);
  };
}

// What scimmy's PatchOp.apply makes of `resource` (a User or Group as
// served): the RFC's outcome for the same request.
async function scimmyApplies(Schema, resource, body) {
  const current = new Schema(resource);
  const patched = await scimmy('applying the PATCH', () => new SCIMMY.Messages.PatchOp(body).apply(current));
  return JSON.parse(JSON.stringify(patched ?? current));
}

const values = (members) => (members ?? []).map((m) => m.value).sort();
const userPath = (id) => `/Users/${encodeURIComponent(id)}`;

// ---- the checks -------------------------------------------------------------

await check('discovery: /Schemas lists User and Group, each an RFC 7643 §7 schema', async () => {
  const body = await send('GET', '/Schemas', { status: 200, as: listOf(schemaResource, { total: 2, start: 1, items: 2 }) });
  expect('schema ids', body.Resources.map((s) => s.id), [USER, GROUP]);
});

await check('discovery: /Schemas/{urn}', async () => {
  for (const urn of [USER, GROUP]) {
    const body = await send('GET', `/Schemas/${urn}`, { status: 200, as: schemaResource });
    expect('id', body.id, urn);
  }
  await send('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device', { status: 404, as: scimError(404) });
});

await check('discovery: /ServiceProviderConfig', async () => {
  const body = await send('GET', '/ServiceProviderConfig', { status: 200, as: serviceProviderConfig });
  expect('patch, filter, bulk, sort, etag, changePassword',
    [body.patch.supported, body.filter.supported, body.bulk.supported, body.sort.supported, body.etag.supported,
      body.changePassword.supported],
    [true, true, false, false, false, false]);
  if (!(body.filter.maxResults > 0)) throw new Error(`filter.maxResults ${body.filter.maxResults}`);
});

await check('discovery: /ResourceTypes and /ResourceTypes/{id}, their schemas served', async () => {
  const body = await send('GET', '/ResourceTypes', { status: 200, as: listOf(resourceType, { total: 2, start: 1, items: 2 }) });
  expect('resource types', body.Resources.map((r) => [r.id, r.endpoint, r.schema]),
    [['User', '/Users', USER], ['Group', '/Groups', GROUP]]);
  for (const id of ['User', 'Group']) {
    const one = await send('GET', `/ResourceTypes/${id}`, { status: 200, as: resourceType });
    await send('GET', `/Schemas/${one.schema}`, { status: 200, as: schemaResource });
  }
  await send('GET', '/ResourceTypes/Device', { status: 404, as: scimError(404) });
});

await check('discovery: a write to a read-only endpoint is a SCIM error', async () => {
  await send('POST', '/Schemas', { body: {}, status: 501, as: scimError(501) });
  await send('PUT', '/ServiceProviderConfig', { body: {}, status: 501, as: scimError(501) });
});

// Users as Entra ID creates them: the core attributes, the enterprise
// extension, and one created inactive.
const subjects = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin/ops team@example.com'];
const entraUser = (userName, active) => ({
  schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  externalId: `ext-${userName}`,
  userName,
  active,
  displayName: userName.split('@')[0],
  name: { givenName: userName.split('@')[0], familyName: 'Example' },
  emails: [{ primary: true, type: 'work', value: userName }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales', employeeNumber: '42' },
});

await check('POST /Users: 201, the User, Location = meta.location', async () => {
  for (const s of subjects) {
    const request = entraUser(s, s !== 'carol@example.com');
    scimmy('the User the test posts', () => new SCIMMY.Schemas.User(request, 'in'));
    const res = await fetch(`${base}/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify(request),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST /Users ${s}: HTTP ${res.status}: ${text}`);
    const body = JSON.parse(text);
    userResource(body);
    expect('userName', body.userName, s);
    expect('active', body.active, s !== 'carol@example.com');
    expect('Location', res.headers.get('location'), body.meta.location);
  }
});

await check('POST /Users again: 409 uniqueness; without userName: 400 invalidValue; not JSON: 400 invalidSyntax', async () => {
  await send('POST', '/Users', { body: { schemas: [USER], userName: 'bob@example.com' }, status: 409, as: scimError(409, 'uniqueness') });
  await send('POST', '/Users', { body: { schemas: [USER], displayName: 'x' }, status: 400, as: scimError(400, 'invalidValue') });
  await send('POST', '/Users', { raw: '{"userName": ', status: 400, as: scimError(400, 'invalidSyntax') });
});

await check('GET /Users pages through every user: startIndex, count, totalResults, itemsPerPage', async () => {
  const seen = [];
  for (const [start, items] of [[1, 2], [3, 2], [5, 1]]) {
    const page = await send('GET', `/Users?startIndex=${start}&count=2`, {
      status: 200, as: listOf(userResource, { total: 5, start, items }),
    });
    seen.push(...page.Resources.map((u) => u.id));
  }
  expect('every user once, in order', seen, subjects);
});

await check('GET /Users paging edges: startIndex < 1, count=0, count < 0, past the end, no count', async () => {
  let page = await send('GET', '/Users?startIndex=0&count=1', { status: 200, as: listOf(userResource, { total: 5, start: 1, items: 1 }) });
  expect('startIndex 0 is 1', page.Resources[0].id, subjects[0]);
  await send('GET', '/Users?startIndex=-3&count=0', { status: 200, as: listOf(userResource, { total: 5, start: 1, items: 0 }) });
  await send('GET', '/Users?count=-1', { status: 200, as: listOf(userResource, { total: 5, start: 1, items: 0 }) });
  await send('GET', '/Users?startIndex=6', { status: 200, as: listOf(userResource, { total: 5, start: 6, items: 0 }) });
  page = await send('GET', '/Users', { status: 200, as: listOf(userResource, { total: 5, start: 1, items: 5 }) });
  await send('GET', '/Users?count=ten', { status: 400, as: scimError(400, 'invalidValue') });
});

await check('GET /Users?filter=userName eq "S", with attributes left out', async () => {
  const q = encodeURIComponent('userName eq "dave@example.com"');
  const page = await send('GET', `/Users?filter=${q}&excludedAttributes=groups`, {
    status: 200, as: listOf(userResource, { total: 1, start: 1, items: 1 }),
  });
  expect('the user', page.Resources[0].id, 'dave@example.com');
  expect('no groups', page.Resources[0].groups, undefined);
  const none = encodeURIComponent('userName eq "nobody@example.com"');
  await send('GET', `/Users?filter=${none}`, { status: 200, as: listOf(userResource, { total: 0, start: 1, items: 0 }) });
  const bad = encodeURIComponent('userName sw "a"');
  await send('GET', `/Users?filter=${bad}`, { status: 400, as: scimError(400, 'invalidFilter') });
});

await check('GET /Users/{id}, and 404 for an unknown one', async () => {
  const body = await send('GET', userPath('erin/ops team@example.com'), { status: 200, as: userResource });
  expect('id', body.id, 'erin/ops team@example.com');
  await send('GET', userPath('nobody@example.com'), { status: 404, as: scimError(404) });
});

await check('PATCH /Users/{id} with several operations: as scimmy applies them', async () => {
  const before = await send('GET', userPath('alice@example.com'), { status: 200, as: userResource });
  const body = patchOp([
    { op: 'replace', path: 'displayName', value: 'Alice A' },
    { op: 'replace', path: 'active', value: false },
    { op: 'add', path: 'name.givenName', value: 'Al' },
  ]);
  const expected = await scimmyApplies(SCIMMY.Schemas.User, before, body);
  const after = await send('PATCH', userPath('alice@example.com'), { body, status: 200, as: userResource });
  expect('active, as scimmy applies the request', after.active, expected.active);
  expect('active', after.active, false);
});

await check('PATCH /Users/{id}: Entra\'s "Replace" of active "True" / "False", with a path and without', async () => {
  let after = await send('PATCH', userPath('alice@example.com'), {
    body: patchOp([{ op: 'Replace', path: 'active', value: 'True' }]), status: 200, as: userResource,
  });
  expect('active after "True"', after.active, true);
  after = await send('PATCH', userPath('alice@example.com'), {
    body: patchOp([{ op: 'Replace', value: { active: 'False', displayName: 'Alice' } }]), status: 200, as: userResource,
  });
  expect('active after {"active": "False"}', after.active, false);
  after = await send('PATCH', userPath('alice@example.com'), {
    body: patchOp([{ op: 'replace', value: { active: true } }]), status: 200, as: userResource,
  });
  expect('active after {"active": true}', after.active, true);
});

await check('PATCH /Users/{id} with one bad operation: the SCIM error, nothing applied', async () => {
  const cases = [
    [[{ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'active', value: 'perhaps' }], 'invalidValue'],
    [[{ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'userName', value: 'zed@example.com' }], 'mutability'],
    [[{ op: 'replace', path: 'active', value: false }, { op: 'add', path: 'groups', value: [{ value: 'staff' }] }], 'mutability'],
    [[{ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'emails[type eq "work"', value: 'x' }], 'invalidPath'],
    [[{ op: 'replace', path: 'active', value: false }, { op: 'remove', path: 'active' }], 'invalidValue'],
  ];
  for (const [operations, scimType] of cases) {
    await send('PATCH', userPath('bob@example.com'), { body: patchOp(operations), status: 400, as: scimError(400, scimType) });
  }
  // A body that is not a PatchOp: scimmy refuses it as well.
  const move = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }, { op: 'move', path: 'active' }] };
  let refused = false;
  try {
    new SCIMMY.Messages.PatchOp(move);
  } catch (e) {
    refused = e instanceof T.Error && e.scimType === 'invalidSyntax';
  }
  if (!refused) throw new Error('scimmy accepted op "move"');
  await send('PATCH', userPath('bob@example.com'), { body: move, status: 400, as: scimError(400, 'invalidSyntax') });
  await send('PATCH', userPath('bob@example.com'), { body: { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }, status: 400, as: scimError(400, 'noTarget') });
  const bob = await send('GET', userPath('bob@example.com'), { status: 200, as: userResource });
  expect('bob still active', bob.active, true);
  await send('PATCH', userPath('nobody@example.com'), {
    body: patchOp([{ op: 'replace', path: 'active', value: false }]), status: 404, as: scimError(404),
  });
});

await check('PUT /Users/{id} (Okta\'s update): active as sent', async () => {
  const request = { ...entraUser('dave@example.com', false) };
  const body = await send('PUT', userPath('dave@example.com'), { body: request, status: 200, as: userResource });
  expect('active', body.active, false);
});

await check('GET /Groups pages through the config\'s groups', async () => {
  const all = await send('GET', '/Groups', { status: 200, as: listOf(groupResource, { total: 6, start: 1, items: 6 }) });
  const ids = all.Resources.map((g) => g.id);
  expect('group ids, sorted', ids, [...ids].sort());
  const first = await send('GET', '/Groups?startIndex=1&count=4', { status: 200, as: listOf(groupResource, { total: 6, start: 1, items: 4 }) });
  const rest = await send('GET', '/Groups?startIndex=5&count=4', { status: 200, as: listOf(groupResource, { total: 6, start: 5, items: 2 }) });
  expect('two pages = the whole list', [...first.Resources, ...rest.Resources].map((g) => g.id), ids);
  await send('GET', '/Groups?startIndex=7', { status: 200, as: listOf(groupResource, { total: 6, start: 7, items: 0 }) });
  await send('GET', '/Groups?count=0', { status: 200, as: listOf(groupResource, { total: 6, start: 1, items: 0 }) });
  const lean = await send('GET', '/Groups?excludedAttributes=members', { status: 200, as: listOf(groupResource, { total: 6 }) });
  if (lean.Resources.some((g) => 'members' in g)) throw new Error('excludedAttributes=members still lists members');
});

await check('PATCH /Groups/{id} with several operations, members[value eq "S"] among them: as scimmy applies them', async () => {
  const before = await send('GET', '/Groups/staff', { status: 200, as: groupResource });
  const body = patchOp([
    { op: 'add', path: 'members', value: [{ value: 'alice@example.com' }, { value: 'bob@example.com' }, { value: 'carol@example.com' }] },
    { op: 'remove', path: 'members[value eq "bob@example.com"]' },
    { op: 'replace', path: 'displayName', value: 'staff' },
  ]);
  const expected = await scimmyApplies(SCIMMY.Schemas.Group, before, body);
  await send('PATCH', '/Groups/staff', { body, status: 204 });
  const after = await send('GET', '/Groups/staff', { status: 200, as: groupResource });
  // carol is inactive: she keeps the membership, but a suspended user holds
  // no group (docs/spec.md §6), so the group does not list her.
  expect('members, as scimmy applies the request (less the suspended carol)',
    values(after.members), values(expected.members).filter((v) => v !== 'carol@example.com'));
  expect('members', values(after.members), ['alice@example.com']);
  const alice = await send('GET', userPath('alice@example.com'), { status: 200, as: userResource });
  expect('alice\'s groups', values(alice.groups), ['staff']);
});

await check('GET /Groups?filter=id eq "G" and members eq "S" (Entra\'s membership check)', async () => {
  const q = (s) => encodeURIComponent(`id eq "staff" and members eq "${s}"`);
  await send('GET', `/Groups?excludedAttributes=members&filter=${q('alice@example.com')}`, {
    status: 200, as: listOf(groupResource, { total: 1, start: 1, items: 1 }),
  });
  await send('GET', `/Groups?excludedAttributes=members&filter=${q('bob@example.com')}`, {
    status: 200, as: listOf(groupResource, { total: 0, start: 1, items: 0 }),
  });
});

await check('PATCH /Groups/{id} with one bad operation: the SCIM error, nothing applied', async () => {
  const addDave = { op: 'add', path: 'members', value: [{ value: 'dave@example.com' }] };
  const cases = [
    [[addDave, { op: 'add', path: 'members', value: [{ value: 'nobody@example.com' }] }], 'invalidValue'],
    [[addDave, { op: 'add', path: 'members', value: [{ display: 'no value' }] }], 'invalidValue'],
    [[addDave, { op: 'replace', path: 'displayName', value: 'sales' }], 'mutability'],
    [[addDave, { op: 'remove', path: 'members[display eq "x"]' }], 'invalidPath'],
    [[addDave, { op: 'remove', path: 'members[value sw "a"]' }], 'invalidFilter'],
    [[addDave, { op: 'replace', path: 'members', value: [] }], 'invalidValue'],
  ];
  for (const [operations, scimType] of cases) {
    await send('PATCH', '/Groups/staff', { body: patchOp(operations), status: 400, as: scimError(400, scimType) });
  }
  await send('PATCH', '/Groups/nope', { body: patchOp([addDave]), status: 404, as: scimError(404) });
  const after = await send('GET', '/Groups/staff', { status: 200, as: groupResource });
  expect('members unchanged', values(after.members), ['alice@example.com']);
});

await check('PATCH /Groups/{id} removes with members[value eq "S"] and with a value list', async () => {
  await send('PATCH', '/Groups/staff', {
    body: patchOp([{ op: 'Remove', path: 'members[value eq "alice@example.com"]' }]), status: 204,
  });
  await send('PATCH', '/Groups/staff', {
    body: patchOp([{ op: 'remove', path: 'members', value: [{ value: 'carol@example.com' }] }]), status: 204,
  });
  const after = await send('GET', '/Groups/staff', { status: 200, as: groupResource });
  expect('no members', values(after.members), []);
});

await check('SCIM errors: 401 without the token, 501 for what is not offered, 404 for no endpoint', async () => {
  await send('GET', '/Users', { auth: false, status: 401, as: scimError(401) });
  await send('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'new' }, status: 501, as: scimError(501) });
  await send('DELETE', '/Groups/staff', { status: 501, as: scimError(501) });
  await send('POST', '/Bulk', { body: {}, status: 501, as: scimError(501) });
  await send('DELETE', '/Users', { status: 501, as: scimError(501) });
  await send('GET', '/Devices', { status: 404, as: scimError(404) });
});

await check('DELETE /Users/{id}: 204, then 404', async () => {
  await send('DELETE', userPath('erin/ops team@example.com'), { status: 204 });
  await send('GET', userPath('erin/ops team@example.com'), { status: 404, as: scimError(404) });
  await send('DELETE', userPath('erin/ops team@example.com'), { status: 404, as: scimError(404) });
  await send('GET', '/Users', { status: 200, as: listOf(userResource, { total: 4, start: 1, items: 4 }) });
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
