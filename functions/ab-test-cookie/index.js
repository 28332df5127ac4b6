// Viewer-request: A/B test on /experiment/*. The group comes from the "ab"
// cookie, or is derived from the viewer IP (stable per viewer) and stored in
// the request cookie so the origin sees it. The URI is rewritten to the
// group's variant.
import crypto from 'crypto';

function handler(event) {
    var request = event.request;
    if (request.uri.indexOf('/experiment/') !== 0) {
        return request;
    }
    var group;
    var cookie = request.cookies.ab;
    if (cookie && (cookie.value === 'a' || cookie.value === 'b')) {
        group = cookie.value;
    } else {
        var digest = crypto.createHash('md5').update(event.viewer.ip).digest('hex');
        group = parseInt(digest.substring(0, 2), 16) % 2 === 0 ? 'a' : 'b';
        request.cookies.ab = { value: group };
    }
    request.uri = '/experiment-' + group + request.uri.substring('/experiment'.length);
    return request;
}
