// Viewer-request: normalise the query string for a better cache hit ratio:
// keep only known parameters, lowercase their names, sort them, and drop
// tracking parameters. Returns the query string as a string (spec §4.4).
var KEEP = ['page', 'q', 'size', 'sort'];

function handler(event) {
    var request = event.request;
    var qs = request.querystring;
    var pairs = [];
    for (var name in qs) {
        var key = name.toLowerCase();
        if (KEEP.indexOf(key) === -1) {
            continue;
        }
        var values = qs[name].multiValue ? qs[name].multiValue.map(function (v) { return v.value; }) : [qs[name].value];
        values.forEach(function (v) { pairs.push(key + '=' + v); });
    }
    pairs.sort();
    request.querystring = pairs.join('&');
    return request;
}
