// Viewer-request with include_body: inspect JSON POST bodies.
// - a body CloudFront truncated (over 40 KB) is refused with 413;
// - a body that is not JSON, or that sets "admin", is refused with 400/403;
// - otherwise the body is forwarded with a "receivedAt" stamp from the
//   request headers (action "replace").
'use strict';

function reply(status, description, message) {
  return {
    status: String(status),
    statusDescription: description,
    headers: { 'content-type': [{ key: 'Content-Type', value: 'application/json' }] },
    body: JSON.stringify({ message }),
  };
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  if (request.method !== 'POST' || !request.body) return request;
  if (request.body.inputTruncated) return reply(413, 'Payload Too Large', 'body too large');
  let data;
  try {
    data = JSON.parse(Buffer.from(request.body.data, 'base64').toString('utf8'));
  } catch (e) {
    return reply(400, 'Bad Request', 'body is not JSON');
  }
  if (data === null || typeof data !== 'object' || 'admin' in data) {
    return reply(403, 'Forbidden', 'field not allowed');
  }
  const stamp = request.headers['x-request-time'];
  data.receivedAt = stamp ? stamp[0].value : 'unknown';
  request.body.action = 'replace';
  request.body.encoding = 'base64';
  request.body.data = Buffer.from(JSON.stringify(data)).toString('base64');
  return request;
};
