// The load-test function (equivalent to shared/perf/conf/edge.js):
//   viewer-request : if the URI ends in '/', append 'index.html'
//   viewer-response: add the header X-Function: rewrite-v1
// (edge.js adds X-Edge-Function, but CloudFront rejects functions that add
// X-Edge-* headers with a 502, spec §3.3.)
function handler(event) {
    if (event.context.eventType === 'viewer-response') {
        var response = event.response;
        response.headers['x-function'] = { value: 'rewrite-v1' };
        return response;
    }
    var request = event.request;
    if (request.uri.endsWith('/')) {
        request.uri += 'index.html';
    }
    return request;
}
