// Viewer-request: look the path up in the associated key value store and
// redirect when it holds a target (JSON: {"to": "...", "status": 301}).
import cf from 'cloudfront';

const kvs = cf.kvs();

async function handler(event) {
    const request = event.request;
    let rule;
    try {
        rule = await kvs.get(request.uri, { format: 'json' });
    } catch (e) {
        // No entry for this path: carry on to the origin.
        return request;
    }
    return {
        statusCode: rule.status || 301,
        statusDescription: rule.status === 302 ? 'Found' : 'Moved Permanently',
        headers: { location: { value: rule.to } }
    };
}
