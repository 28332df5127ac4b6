// Viewer-request: permanent redirects for moved sections, generated at the
// edge (never cached, viewer-response does not run). Everything else passes.
'use strict';

const querystring = require('querystring');

const MOVED = [
  { from: /^\/blog\/(.*)$/, to: '/articles/$1' },
  { from: /^\/docs\/v1(\/.*)?$/, to: '/docs/v2$1' },
];

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  for (const rule of MOVED) {
    if (rule.from.test(request.uri)) {
      const path = request.uri.replace(rule.from, rule.to);
      const params = querystring.parse(request.querystring);
      delete params.utm_source;
      const qs = querystring.stringify(params);
      const host = request.headers.host[0].value;
      return {
        status: '301',
        statusDescription: 'Moved Permanently',
        headers: {
          location: [{ key: 'Location', value: `https://${host}${path}${qs ? '?' + qs : ''}` }],
          'cache-control': [{ key: 'Cache-Control', value: 'max-age=3600' }],
        },
      };
    }
  }
  return request;
};
