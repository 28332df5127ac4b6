// Origin-request: send beta users to another origin.
// A request is "beta" when it carries `x-variant: beta` or the cookie
// `variant=beta`. Beta requests go to beta.example.com (a custom origin that
// need not exist in the distribution) with a matching Host header.
'use strict';

const BETA_ORIGIN = {
  custom: {
    domainName: 'beta.example.com',
    port: 443,
    protocol: 'https',
    path: '/v2',
    sslProtocols: ['TLSv1.2'],
    readTimeout: 30,
    keepaliveTimeout: 5,
    customHeaders: {},
  },
};

function cookie(headers, name) {
  for (const h of headers.cookie || []) {
    for (const part of h.value.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === name) return v.join('=');
    }
  }
  return undefined;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const headers = request.headers;
  const header = headers['x-variant'] && headers['x-variant'][0].value;
  const variant = header || cookie(headers, 'variant');
  if (variant === 'beta') {
    request.origin = BETA_ORIGIN;
    headers.host = [{ key: 'Host', value: BETA_ORIGIN.custom.domainName }];
    console.log('routing', request.uri, 'to beta');
  }
  return request;
};
