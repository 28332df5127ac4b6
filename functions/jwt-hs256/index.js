// Viewer-request: require a valid HS256 JSON Web Token, from the
// Authorization: Bearer header or the "token" cookie. Answers 401 otherwise.
import crypto from 'crypto';

const SECRET = 'cfedge-example-secret';

function unauthorized(reason) {
    return {
        statusCode: 401,
        statusDescription: 'Unauthorized',
        headers: {
            'www-authenticate': { value: 'Bearer error="invalid_token"' },
            'content-type': { value: 'text/plain' }
        },
        body: reason
    };
}

function tokenOf(request) {
    const auth = request.headers.authorization;
    if (auth && auth.value.indexOf('Bearer ') === 0) {
        return auth.value.substring(7);
    }
    if (request.cookies.token) {
        return request.cookies.token.value;
    }
    return null;
}

function verify(token) {
    const parts = token.split('.');
    if (parts.length !== 3) {
        throw new Error('malformed token');
    }
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    if (header.alg !== 'HS256') {
        throw new Error('unsupported algorithm');
    }
    const expected = crypto.createHmac('sha256', SECRET).update(parts[0] + '.' + parts[1]).digest('base64url');
    if (expected !== parts[2]) {
        throw new Error('bad signature');
    }
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp === 'number' && now >= claims.exp) {
        throw new Error('token expired');
    }
    if (typeof claims.nbf === 'number' && now < claims.nbf) {
        throw new Error('token not yet valid');
    }
    return claims;
}

function handler(event) {
    const request = event.request;
    const token = tokenOf(request);
    if (!token) {
        return unauthorized('missing token');
    }
    let claims;
    try {
        claims = verify(token);
    } catch (e) {
        return unauthorized(e.message);
    }
    request.headers['x-user'] = { value: String(claims.sub) };
    delete request.headers.authorization;
    return request;
}
