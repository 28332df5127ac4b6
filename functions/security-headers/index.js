// Viewer-response: add the usual security headers, keeping any the origin set.
function handler(event) {
    var response = event.response;
    var headers = response.headers;
    var wanted = {
        'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'",
        'permissions-policy': 'camera=(), microphone=(), geolocation=()',
        'x-xss-protection': '1; mode=block'
    };
    for (var name in wanted) {
        if (!headers[name]) {
            headers[name] = { value: wanted[name] };
        }
    }
    return response;
}
