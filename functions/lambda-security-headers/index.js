// Origin-response: add security headers and rewrite Cache-Control before
// CloudFront caches the response. Successful responses are cached for at
// least a day; server errors are never cached.
'use strict';

const SECURITY = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'self'",
};

const DAY = 86400;

function maxAge(value) {
  const m = /(?:^|,)\s*max-age=(\d+)/.exec(value || '');
  return m ? Number(m[1]) : undefined;
}

exports.handler = (event, context, callback) => {
  const response = event.Records[0].cf.response;
  const headers = response.headers;
  for (const [name, value] of Object.entries(SECURITY)) {
    headers[name] = [{ key: name.replace(/(^|-)\w/g, (c) => c.toUpperCase()), value }];
  }
  const status = Number(response.status);
  const current = headers['cache-control'] && headers['cache-control'][0].value;
  if (status >= 500) {
    headers['cache-control'] = [{ key: 'Cache-Control', value: 'no-store' }];
  } else if (status === 200 && !(maxAge(current) >= DAY)) {
    headers['cache-control'] = [{ key: 'Cache-Control', value: `public, max-age=${DAY}` }];
  }
  callback(null, response);
};
