// The embedded Lambda@Edge runtime's `zlib` module, evaluated on the
// first `require('zlib')` of an engine (keeps engine start-up small).
// `lib` holds the prelude's shared helpers.
(function (lib) {
  'use strict';
  const { native, wrap, toBytes, setImmediate } = lib;
  // === zlib (one-shot: the *Sync forms, callback forms and util.promisify of them) ===
  function zlibOp(op, data, opts) {
    const level = opts && typeof opts === 'object'
      ? (typeof opts.level === 'number' ? opts.level : (opts.params && typeof opts.params[1] === 'number' ? opts.params[1] : -1))
      : -1;
    try { return wrap(native.zlib(op, toBytes(data), level)); } catch (e) {
      const err = new Error(e.message); err.code = e.message === 'unexpected end of file' ? 'Z_BUF_ERROR' : 'Z_DATA_ERROR'; err.errno = err.code === 'Z_BUF_ERROR' ? -5 : -3;
      throw err;
    }
  }
  const zlib = { constants: Object.freeze({ Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1, BROTLI_PARAM_QUALITY: 1, BROTLI_MAX_QUALITY: 11, BROTLI_MIN_QUALITY: 0, BROTLI_DEFAULT_QUALITY: 11 }) };
  for (const op of ['gzip', 'gunzip', 'deflate', 'inflate', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress']) {
    zlib[op + 'Sync'] = (data, opts) => zlibOp(op, data, opts);
    zlib[op] = (data, opts, cb) => {
      if (typeof opts === 'function') { cb = opts; opts = undefined; }
      if (typeof cb !== 'function') throw new TypeError('The "callback" argument must be of type function');
      let out; let err = null;
      try { out = zlibOp(op, data, opts); } catch (e) { err = e; }
      setImmediate(() => (err ? cb(err) : cb(null, out)));
    };
  }
  return zlib;
})
