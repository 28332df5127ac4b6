// Viewer-request: send viewers from some countries to their localised site,
// using the CloudFront-Viewer-Country header (forward it in the cache or
// origin request policy).
var SITES = { DE: '/de', FR: '/fr', GB: '/uk' };

function handler(event) {
    var request = event.request;
    var country = request.headers['cloudfront-viewer-country'];
    if (!country) {
        return request;
    }
    var prefix = SITES[country.value];
    if (!prefix || request.uri.indexOf(prefix + '/') === 0) {
        return request;
    }
    var host = request.headers.host ? request.headers.host.value : 'example.com';
    return {
        statusCode: 302,
        statusDescription: 'Found',
        headers: {
            location: { value: 'https://' + host + prefix + request.uri },
            'cache-control': { value: 'private, max-age=0' }
        }
    };
}
