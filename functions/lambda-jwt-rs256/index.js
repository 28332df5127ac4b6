// Origin-request (runtime "nodejs"): require an RS256 JWT, checked with
// Node's crypto against public-key.pem. The token comes from
// `Authorization: Bearer <jwt>` or the `token` cookie. Valid tokens reach the
// origin with `X-User: <sub>`; anything else gets a 401 generated at the edge.
// test-key.pem is the matching private key, committed for tests only.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const PUBLIC_KEY = crypto.createPublicKey(fs.readFileSync(path.join(__dirname, 'public-key.pem')));

function unauthorized(reason) {
  console.log('rejected:', reason);
  return {
    status: '401',
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer error="invalid_token"' }],
      'content-type': [{ key: 'Content-Type', value: 'text/plain' }],
    },
    body: 'Unauthorized',
  };
}

function tokenOf(headers) {
  const auth = headers.authorization && headers.authorization[0].value;
  if (auth && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  for (const h of headers.cookie || []) {
    const m = /(?:^|;\s*)token=([^;]+)/.exec(h.value);
    if (m) return m[1];
  }
  return undefined;
}

function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('malformed token');
  const [h, p, s] = parts;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') throw new Error('unexpected alg ' + header.alg);
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), PUBLIC_KEY, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw new Error('expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw new Error('not yet valid');
  return claims;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const token = tokenOf(request.headers);
  if (!token) return unauthorized('no token');
  let claims;
  try {
    claims = verify(token);
  } catch (e) {
    return unauthorized(e.message);
  }
  request.headers['x-user'] = [{ key: 'X-User', value: String(claims.sub) }];
  delete request.headers.authorization;
  return request;
};
