// Mints signed tokens with npm's `jose` (a JOSE library nobody here wrote),
// and the classic attacks on them, for tests/jose_npm_test.sh:
//
//   node mint.mjs OUT_DIR NOW
//
// writes to OUT_DIR
//   config.json       a ClaimMap config (docs/spec.md §2, §15) whose providers
//                     hold the public keys (inline `jwks`, and one `jwks_file`)
//   twin-jwks.json    the JWK Set that config.json's "twin" provider reads
//   events.ndjson     one event per line: valid tokens of every algorithm and
//                     every attack
//   expected.ndjson   per line of events.ndjson: {"seq", "name", "status",
//                     "code"} — the status and error code §15 gives
//   bad-configs/*.json  configs `claimmap validate` must refuse (exit 2), with
//                     bad-configs/expected.json: file → the path the error names
//
// Keys are generated afresh at every run (RSA 2048), so tokens differ from
// run to run; what ClaimMap must answer does not. NOW is the `--now` given
// to `claimmap eval`. Valid tokens come from jose's SignJWT/CompactSign;
// tokens whose header or encoding jose would not produce are signed here
// with node:crypto over the exact bytes (and a control line checks that this
// signer's honest tokens verify, so that a refusal is due to the attack).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CompactSign, SignJWT, compactVerify, exportJWK, generateKeyPair } from 'jose';

const [outDir, nowText] = process.argv.slice(2);
if (!outDir || !/^\d+$/.test(nowText ?? '')) {
  console.error('usage: node mint.mjs OUT_DIR NOW_EPOCH_SECONDS');
  process.exit(2);
}
const NOW = Number(nowText);
fs.mkdirSync(path.join(outDir, 'bad-configs'), { recursive: true });

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const b64std = (bytes) => Buffer.from(bytes).toString('base64'); // '+', '/', '=': not base64url
const utf8 = (text) => new TextEncoder().encode(text);

const ISSUER = 'https://idp.example/tenant';
const TWIN_ISSUER = 'https://twin.idp.example';
const LEGACY_ISSUER = 'https://legacy.idp.example';
const NOKEYS_ISSUER = 'https://nokeys.idp.example';
const AUDIENCE = 'claimmap-test';

// --- keys ------------------------------------------------------------------

const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const kidOf = { RS256: 'rs256', PS256: 'ps256', ES256: 'es256', ES384: 'es384', ES512: 'es512', EdDSA: 'ed25519' };
const keys = {};
for (const alg of ALGS) {
  const options = { extractable: true };
  if (alg.startsWith('RS') || alg.startsWith('PS')) options.modulusLength = 2048;
  if (alg === 'EdDSA') options.crv = 'Ed25519';
  keys[alg] = await generateKeyPair(alg, options);
}
const publicJwk = async (alg, kid, withAlg = true) => {
  const jwk = await exportJWK(keys[alg].publicKey);
  return { ...jwk, kid, use: 'sig', ...(withAlg ? { alg } : {}) };
};
const idpKeys = [];
for (const alg of ALGS) idpKeys.push(await publicJwk(alg, kidOf[alg]));

// The twin provider: two RS256 keys (so a token without kid is ambiguous).
const twinA = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const twinB = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const twinJwks = {
  keys: [
    { ...(await exportJWK(twinA.publicKey)), kid: 'twin-a', alg: 'RS256' },
    { ...(await exportJWK(twinB.publicKey)), kid: 'twin-b' },
  ],
};
// The legacy provider: keys, and accept_unsigned (a migration aid).
const legacy = await generateKeyPair('ES256', { extractable: true });
const legacyKey = { ...(await exportJWK(legacy.publicKey)), kid: 'legacy-1', alg: 'ES256' };
// The attacker's own keys (never in the config).
const attackerEc = await generateKeyPair('ES256', { extractable: true });
const attackerRsa = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });

// --- config ----------------------------------------------------------------

const mapping = (id, provider) => ({ id, provider, claim: 'groups', value: 'staff', group: 'staff' });
const config = {
  version: 1,
  stages: ['prod'],
  providers: [
    {
      id: 'idp', type: 'oidc', issuer: ISSUER, scope: ['prod'],
      jwks: { keys: idpKeys }, algorithms: ALGS, audiences: [AUDIENCE, 'other-app'],
    },
    {
      id: 'twin', type: 'oidc', issuer: TWIN_ISSUER, scope: 'organization',
      jwks_file: 'twin-jwks.json', leeway_seconds: 0,  // algorithms: the default, ["RS256"]
    },
    {
      id: 'legacy', type: 'oidc', issuer: LEGACY_ISSUER, scope: ['prod'],
      jwks: { keys: [legacyKey] }, algorithms: ['ES256'], accept_unsigned: true,
    },
    { id: 'nokeys', type: 'oidc', issuer: NOKEYS_ISSUER, scope: ['prod'] },
  ],
  roles: [{ id: 'App.User', app: 'App' }],
  groups: [{ id: 'staff', stage: 'prod', roles: ['App.User'] }],
  mappings: [mapping('m-idp', 'idp'), mapping('m-twin', 'twin'), mapping('m-legacy', 'legacy'), mapping('m-nokeys', 'nokeys')],
};
fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
fs.writeFileSync(path.join(outDir, 'twin-jwks.json'), JSON.stringify(twinJwks, null, 2) + '\n');

// --- signing ---------------------------------------------------------------

let subjects = 0;
// Claims of an honest login at NOW for `issuer`; `extra` overrides (undefined removes).
const claims = (issuer = ISSUER, extra = {}) => {
  const c = {
    iss: issuer, sub: `user-${++subjects}`, aud: AUDIENCE, iat: NOW - 10, nbf: NOW - 10, exp: NOW + 600,
    groups: ['staff'],
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete c[k];
    else c[k] = v;
  }
  return c;
};

// jose's own JWT signing: what an IdP built on a real library emits.
const jwt = (alg, payload, header = {}, key = keys[alg].privateKey) =>
  new SignJWT(payload).setProtectedHeader({ alg, kid: kidOf[alg], ...header }).sign(key);

// The signature node:crypto makes over exactly `input` (the JWS form: raw r‖s for ECDSA).
const HASH = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', PS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
function rawSignature(alg, key, input, dsaEncoding = 'ieee-p1363') {
  const data = Buffer.from(input, 'ascii');
  if (alg === 'EdDSA') return crypto.sign(null, data, key);
  if (alg.startsWith('RS')) return crypto.sign(HASH[alg], data, key);
  if (alg.startsWith('PS')) {
    return crypto.sign(HASH[alg], data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  }
  return crypto.sign(HASH[alg], data, { key, dsaEncoding });
}
// A compact token from the exact header and payload texts, parts encoded by
// `encode` (base64url unless an attack says otherwise), signed honestly.
function craft(alg, key, headerText, payloadText, { encode = b64u, dsaEncoding } = {}) {
  const input = `${encode(utf8(headerText))}.${encode(utf8(payloadText))}`;
  return `${input}.${encode(rawSignature(alg, key, input, dsaEncoding))}`;
}
const header = (obj) => JSON.stringify(obj);

// --- events ----------------------------------------------------------------

const events = [];
const expected = [];
const add = (name, event, status, code = null) => {
  events.push(typeof event === 'string' ? event : JSON.stringify(event));
  expected.push({ seq: events.length, name, status, code });
};
const login = (token, provider = 'idp') => ({ type: 'login', ...(provider ? { provider } : {}), token });
const ok = (name, event) => add(name, event, 'ok');
const err = (name, event, code) => add(name, event, 'error', code);

// Valid tokens of every algorithm, from jose.
for (const alg of ALGS) ok(`valid ${alg} (jose SignJWT)`, login(await jwt(alg, claims())));
ok('valid RS256, provider found from iss', login(await jwt('RS256', claims()), null));
ok('valid ES256, aud an array holding one audience', login(await jwt('ES256', claims(ISSUER, { aud: ['nobody', 'other-app'] }))));
ok('valid ES384 via CompactSign, typ JWT', login(await new CompactSign(utf8(JSON.stringify(claims())))
  .setProtectedHeader({ alg: 'ES384', kid: 'es384', typ: 'JWT' }).sign(keys.ES384.privateKey)));
for (const alg of ALGS) {
  ok(`control: ${alg} signed by node:crypto over the exact bytes`,
    login(craft(alg, keys[alg].privateKey, header({ alg, kid: kidOf[alg] }), JSON.stringify(claims()))));
}
// No kid: the only key whose type (and own alg) fits.
ok('no kid, one key fits EdDSA', login(await new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA' }).sign(keys.EdDSA.privateKey)));
ok('no kid, one key fits RS256 (the PS256 key is bound to PS256)',
  login(await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(keys.RS256.privateKey)));

// Signature and encoding attacks.
{
  const token = await jwt('RS256', claims());
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[sig.length >> 1] ^= 0x01;
  err('altered signature (one byte flipped)', login(`${h}.${p}.${b64u(sig)}`), 'invalid_signature');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.groups = ['staff', 'admins'];
  err('altered payload (a group added)', login(`${h}.${b64u(utf8(JSON.stringify(payload)))}.${s}`), 'invalid_signature');
  err('signature removed', login(`${h}.${p}.`), 'invalid_signature');
  err('two parts only', login(`${h}.${p}`), 'invalid_token');
  err('four parts', login(`${token}.${s}`), 'invalid_token');
  err('bad base64url: "=" padding on the signature', login(`${h}.${p}.${b64std(Buffer.from(s, 'base64url'))}`), 'invalid_token');
}
{
  // Every part padded with '=' and signed over those exact bytes: only the encoding is wrong.
  let headerText = header({ alg: 'ES256', kid: 'es256' });
  while (utf8(headerText).length % 3 === 0) headerText = headerText.replace('{', '{ ');
  const padded = (bytes) => b64u(bytes) + '='.repeat((3 - (bytes.length % 3)) % 3);
  err('bad base64url: "=" padding on the header (signed as sent)',
    login(craft('ES256', keys.ES256.privateKey, headerText, JSON.stringify(claims()), { encode: padded })), 'invalid_token');
  // '+' and '/': a payload whose standard base64 has them, signed as sent.
  const tricky = JSON.stringify(claims(ISSUER, { note: '~~~???>>>' }));
  if (!/[+/]/.test(b64std(utf8(tricky)).replace(/=+$/, ''))) throw new Error('the tricky payload has no + or /');
  const std = (bytes) => b64std(bytes).replace(/=+$/, '');
  err('bad base64url: "+" and "/" (standard base64, signed as sent)',
    login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256' }), tricky, { encode: std })), 'invalid_token');
  ok('control: the same claims in base64url ("-" and "_")',
    login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256' }), JSON.stringify(claims(ISSUER, { note: '~~~???>>>' })))));
  err('bad base64url: a space inside the payload', login((await jwt('ES256', claims())).replace('.', '. ')), 'invalid_token');
}
{
  // alg none, with and without a signature.
  const payload = b64u(utf8(JSON.stringify(claims())));
  err('alg none, empty signature', login(`${b64u(utf8(header({ alg: 'none' })))}.${payload}.`), 'invalid_token');
  err('alg none with the kid of a real key', login(`${b64u(utf8(header({ alg: 'none', kid: 'rs256' })))}.${payload}.`), 'invalid_token');
  err('alg "None"', login(`${b64u(utf8(header({ alg: 'None', kid: 'rs256' })))}.${payload}.`), 'invalid_token');
}
{
  // The classic confusion: HS256 keyed with the RSA public key (its PEM, and its JWK's n).
  const pem = keys.RS256.publicKey.export({ type: 'spki', format: 'pem' });
  const hs = async (secret, kid) => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
  err('HS256 keyed with the RSA public key (PEM)', login(await hs(utf8(pem), 'rs256')), 'invalid_token');
  err('HS256 keyed with the RSA public key (JWK n)', login(await hs(Buffer.from(idpKeys[0].n, 'base64url'), 'rs256')), 'invalid_token');
  err('HS256 keyed with the EC public key, no kid', login(await hs(utf8(JSON.stringify(idpKeys[2])), undefined)), 'invalid_token');
}
{
  // Keys the token brings along are never used.
  const attackerJwk = { ...(await exportJWK(attackerEc.publicKey)), kid: 'es256' };
  err('embedded attacker jwk, kid of the real key',
    login(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'es256', jwk: attackerJwk }).sign(attackerEc.privateKey)),
    'invalid_signature');
  const { kid, ...noKid } = attackerJwk;
  err('embedded attacker jwk, no kid',
    login(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', jwk: noKid }).sign(attackerEc.privateKey)),
    'invalid_signature');
  err('jku pointing at the attacker, kid of the real key',
    login(await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'rs256', jku: 'https://attacker.example/jwks.json' })
      .sign(attackerRsa.privateKey)),
    'invalid_signature');
  err('x5u pointing at the attacker',
    login(await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'rs256', x5u: 'https://attacker.example/cert.pem' })
      .sign(attackerRsa.privateKey)),
    'invalid_signature');
  err('a token signed by a key the provider does not have, same kid',
    login(await jwt('RS256', claims(), {}, attackerRsa.privateKey)), 'invalid_signature');
}
{
  // ECDSA signatures in DER (what OpenSSL and Java emit by default), not r‖s.
  for (const alg of ['ES256', 'ES384', 'ES512']) {
    err(`${alg} signature in DER form`, login(craft(alg, keys[alg].privateKey, header({ alg, kid: kidOf[alg] }),
      JSON.stringify(claims()), { dsaEncoding: 'der' })), 'invalid_signature');
  }
}
{
  // Headers ClaimMap refuses: crit, b64 (RFC 7797), a repeated member name.
  err('crit header (an extension jose was told it knows)',
    login(await new CompactSign(utf8(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'ES256', kid: 'es256', crit: ['urn:example:ext'], 'urn:example:ext': 1 })
      .sign(keys.ES256.privateKey, { crit: { 'urn:example:ext': true } })),
    'invalid_token');
  err('b64:false header (RFC 7797, jose CompactSign)',
    login(await new CompactSign(utf8('payload-without-dots')).setProtectedHeader({ alg: 'ES256', kid: 'es256', b64: false, crit: ['b64'] })
      .sign(keys.ES256.privateKey)),
    'invalid_token');
  err('b64:true header without crit (signed as sent)',
    login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256', b64: true }), JSON.stringify(claims()))),
    'invalid_token');
  err('header with a repeated member name',
    login(craft('ES256', keys.ES256.privateKey, '{"alg":"ES256","kid":"es256","kid":"es256"}', JSON.stringify(claims()))),
    'invalid_token');
  err('payload with a repeated member name',
    login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256' }),
      JSON.stringify(claims()).replace('{', '{"sub":"attacker",'))),
    'invalid_token');
  err('payload not JSON', login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256' }), 'hello')), 'invalid_token');
  err('payload a JSON array', login(craft('ES256', keys.ES256.privateKey, header({ alg: 'ES256', kid: 'es256' }), '[1,2]')), 'invalid_token');
  err('header a JSON array', login(craft('ES256', keys.ES256.privateKey, '["ES256"]', JSON.stringify(claims()))), 'invalid_token');
  err('header without alg', login(craft('ES256', keys.ES256.privateKey, header({ kid: 'es256' }), JSON.stringify(claims()))), 'invalid_token');
}
{
  // Keys: unknown kid, a kid whose key does not fit, no kid with two keys fitting.
  err('unknown kid', login(await jwt('RS256', claims(), { kid: 'rotated-away' })), 'unknown_key');
  err('kid of an EC key on an RS256 token', login(await jwt('RS256', claims(), { kid: 'es256' })), 'unknown_key');
  err('kid of the PS256-bound key on an RS256 token', login(await jwt('RS256', claims(), { kid: 'ps256' })), 'unknown_key');
  err('kid of the P-256 key on an ES384 token', login(await jwt('ES384', claims(), { kid: 'es256' })), 'unknown_key');
  const twinClaims = () => claims(TWIN_ISSUER);
  ok('twin: kid twin-a (jwks_file)', login(await new SignJWT(twinClaims()).setProtectedHeader({ alg: 'RS256', kid: 'twin-a' })
    .sign(twinA.privateKey), 'twin'));
  ok('twin: kid twin-b, a key without alg', login(await new SignJWT(twinClaims()).setProtectedHeader({ alg: 'RS256', kid: 'twin-b' })
    .sign(twinB.privateKey), 'twin'));
  err('twin: no kid, two RS256 keys fit', login(await new SignJWT(twinClaims()).setProtectedHeader({ alg: 'RS256' })
    .sign(twinA.privateKey), 'twin'), 'unknown_key');
  err('twin: PS256 is not in its algorithms (default RS256)', login(craft('PS256', twinA.privateKey,
    header({ alg: 'PS256', kid: 'twin-a' }), JSON.stringify(twinClaims())), 'twin'), 'invalid_token');
  err('a provider without keys takes no token', login(await new SignJWT(claims(NOKEYS_ISSUER))
    .setProtectedHeader({ alg: 'RS256', kid: 'rs256' }).sign(keys.RS256.privateKey), 'nokeys'), 'unknown_key');
}
{
  // Issuer, times, audience (§15 steps 5–7), leeway 60 by default.
  err('wrong issuer', login(await jwt('ES256', claims('https://evil.example'))), 'wrong_issuer');
  err('issuer of another provider', login(await jwt('ES256', claims(TWIN_ISSUER))), 'wrong_issuer');
  err('no iss', login(await jwt('ES256', claims(ISSUER, { iss: undefined }))), 'wrong_issuer');
  err('expired beyond the leeway (exp = now - 61)', login(await jwt('ES256', claims(ISSUER, { exp: NOW - 61 }))), 'token_expired');
  ok('expired inside the leeway (exp = now - 60)', login(await jwt('ES256', claims(ISSUER, { exp: NOW - 60 }))));
  err('no exp', login(await jwt('ES256', claims(ISSUER, { exp: undefined }))), 'token_expired');
  err('exp a string', login(await jwt('ES256', claims(ISSUER, { exp: String(NOW + 600) }))), 'token_expired');
  err('not yet valid beyond the leeway (nbf = now + 61)', login(await jwt('ES256', claims(ISSUER, { nbf: NOW + 61 }))), 'token_not_yet_valid');
  ok('not yet valid inside the leeway (nbf = now + 60)', login(await jwt('ES256', claims(ISSUER, { nbf: NOW + 60 }))));
  ok('no nbf', login(await jwt('ES256', claims(ISSUER, { nbf: undefined }))));
  err('wrong audience', login(await jwt('ES256', claims(ISSUER, { aud: 'someone-else' }))), 'wrong_audience');
  err('audience array without ours', login(await jwt('ES256', claims(ISSUER, { aud: ['a', 'b'] }))), 'wrong_audience');
  err('no aud where audiences are set', login(await jwt('ES256', claims(ISSUER, { aud: undefined }))), 'wrong_audience');
  const twin = (extra) => new SignJWT(claims(TWIN_ISSUER, extra)).setProtectedHeader({ alg: 'RS256', kid: 'twin-a' }).sign(twinA.privateKey);
  err('twin (leeway 0): exp = now - 1', login(await twin({ exp: NOW - 1 }), 'twin'), 'token_expired');
  ok('twin (leeway 0): exp = now', login(await twin({ exp: NOW }), 'twin'));
  err('twin (leeway 0): nbf = now + 1', login(await twin({ nbf: NOW + 1 }), 'twin'), 'token_not_yet_valid');
  ok('twin (no audiences): any aud', login(await twin({ aud: 'whatever' }), 'twin'));
  // The order of §15: the first failure is the line's code.
  {
    const t = await jwt('ES256', claims('https://evil.example', { exp: NOW - 3600, aud: 'x' }));
    const [h, p, s] = t.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[5] ^= 1;
    err('order: bad signature before issuer, time, audience', login(`${h}.${p}.${b64u(sig)}`), 'invalid_signature');
  }
  err('order: unknown kid before a bad signature', login(await jwt('RS256', claims(), { kid: 'nope' }, attackerRsa.privateKey)), 'unknown_key');
  err('order: issuer before expiry', login(await jwt('ES256', claims('https://evil.example', { exp: NOW - 3600 }))), 'wrong_issuer');
  err('order: expiry before audience', login(await jwt('ES256', claims(ISSUER, { exp: NOW - 3600, aud: 'x' }))), 'token_expired');
  err('order: not-yet-valid before audience', login(await jwt('ES256', claims(ISSUER, { nbf: NOW + 3600, aud: 'x' }))), 'token_not_yet_valid');
  err('order: verified token without a subject', login(await jwt('ES256', claims(ISSUER, { sub: undefined }))), 'missing_subject');
}
{
  // Unsigned logins (claims decoded by someone else).
  err('claims envelope to a provider with keys', { type: 'login', provider: 'idp', claims: claims() }, 'unsigned_token');
  err('bare token to a provider with keys', claims(), 'unsigned_token');
  err('claims envelope without subject to a provider with keys', { type: 'login', provider: 'idp', claims: claims(ISSUER, { sub: undefined }) }, 'unsigned_token');
  ok('claims envelope to a provider with keys and accept_unsigned', { type: 'login', provider: 'legacy', claims: claims(LEGACY_ISSUER) });
  ok('bare token to a provider with keys and accept_unsigned', claims(LEGACY_ISSUER));
  ok('signed token to a provider with accept_unsigned', login(await new SignJWT(claims(LEGACY_ISSUER))
    .setProtectedHeader({ alg: 'ES256', kid: 'legacy-1' }).sign(legacy.privateKey), 'legacy'));
  ok('claims envelope to a provider without keys', { type: 'login', provider: 'nokeys', claims: claims(NOKEYS_ISSUER) });
  // Envelope shape (§15 Event).
  err('both claims and token', { type: 'login', provider: 'idp', claims: claims(), token: await jwt('ES256', claims()) }, 'invalid_event');
  err('token not a string', { type: 'login', provider: 'idp', token: 42 }, 'invalid_event');
  err('provider omitted, iss of no provider', login(await jwt('ES256', claims('https://nobody.example')), null), 'unknown_provider');
}

// Self-check with jose itself: every token expected `ok` verifies with its
// provider's key, so that the expectations are not this script's own opinion.
const publicKeyOf = {
  ...Object.fromEntries(ALGS.map((alg) => [kidOf[alg], keys[alg].publicKey])),
  'twin-a': twinA.publicKey, 'twin-b': twinB.publicKey, 'legacy-1': legacy.publicKey,
};
for (let i = 0; i < events.length; ++i) {
  const event = JSON.parse(events[i]);
  if (expected[i].status !== 'ok' || typeof event.token !== 'string') continue;
  const head = JSON.parse(Buffer.from(event.token.split('.')[0], 'base64url').toString());
  const key = head.kid ? publicKeyOf[head.kid] : keys[head.alg].publicKey;
  await compactVerify(event.token, key).catch((e) => {
    throw new Error(`self-check: line ${i + 1} (${expected[i].name}) does not verify with jose: ${e.message}`);
  });
}

fs.writeFileSync(path.join(outDir, 'events.ndjson'), events.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'expected.ndjson'), expected.map((e) => JSON.stringify(e)).join('\n') + '\n');

// --- configs `claimmap validate` must refuse -------------------------------

const bad = {};
const withIdp = (file, change, errorPath) => {
  const c = structuredClone(config);
  change(c.providers[0], c);
  c.providers = [c.providers[0]];
  c.mappings = [c.mappings[0]];
  fs.writeFileSync(path.join(outDir, 'bad-configs', file), JSON.stringify(c, null, 2) + '\n');
  bad[file] = errorPath;
};
const rsaPrivate = await exportJWK(keys.RS256.privateKey);
withIdp('private-member.json', (p) => { p.jwks.keys[0] = { ...rsaPrivate, kid: 'rs256', alg: 'RS256' }; }, 'providers[0].jwks.keys[0].d');
withIdp('oct-key.json', (p) => { p.jwks.keys.push({ kty: 'oct', k: b64u(crypto.randomBytes(32)), kid: 'hmac' }); }, 'providers[0].jwks.keys[6]');
withIdp('rsa-1024.json', (p) => {
  const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  p.jwks.keys[0] = { ...small, kid: 'rs256', alg: 'RS256' };
}, 'providers[0].jwks.keys[0]');
withIdp('point-off-curve.json', (p) => {
  const y = Buffer.from(p.jwks.keys[2].y, 'base64url');
  y[y.length - 1] ^= 1;
  p.jwks.keys[2].y = b64u(y);
}, 'providers[0].jwks.keys[2]');
withIdp('use-enc.json', (p) => { p.jwks.keys[1].use = 'enc'; }, 'providers[0].jwks.keys[1].use');
withIdp('duplicate-kid.json', (p) => { p.jwks.keys[1].kid = 'rs256'; }, 'providers[0].jwks.keys[1].kid');
withIdp('alg-none.json', (p) => { p.algorithms = ['RS256', 'none']; }, 'providers[0].algorithms');
withIdp('alg-hs256.json', (p) => { p.algorithms = ['HS256']; }, 'providers[0].algorithms');
withIdp('alg-unknown.json', (p) => { p.algorithms = ['ES256K']; }, 'providers[0].algorithms');
withIdp('keys-without-issuer.json', (p) => { delete p.issuer; }, 'providers[0]');
withIdp('leeway-too-large.json', (p) => { p.leeway_seconds = 601; }, 'providers[0].leeway_seconds');
withIdp('leeway-negative.json', (p) => { p.leeway_seconds = -1; }, 'providers[0].leeway_seconds');
withIdp('jwks-file-missing.json', (p) => { delete p.jwks; p.jwks_file = 'no-such-jwks.json'; }, 'providers[0].jwks_file');
fs.writeFileSync(path.join(outDir, 'bad-configs', 'expected.json'), JSON.stringify(bad, null, 2) + '\n');

console.error(`mint.mjs: ${events.length} events, ${Object.keys(bad).length} bad configs in ${outDir} (jose ${
  JSON.parse(fs.readFileSync(new URL('./node_modules/jose/package.json', import.meta.url))).version})`);
