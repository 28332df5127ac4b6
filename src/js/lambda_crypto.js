// The embedded Lambda@Edge runtime's `crypto` module, evaluated on the
// first `require('crypto')` of an engine (keeps engine start-up small).
// `lib` holds the prelude's shared helpers.
(function (lib) {
  'use strict';
  const { native, Buffer, toBytes, output } = lib;
  // === crypto ===
  const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
  function algorithm(alg) {
    const a = String(alg).toLowerCase().replace('-', '');
    if (!HASHES.includes(a)) throw new Error('Digest method not supported: ' + alg);
    return a;
  }
  class Hash {
    constructor(alg, key) { this._alg = algorithm(alg); this._key = key; this._parts = []; this._done = false; }
    update(data, enc) {
      if (this._done) throw new Error('Digest already called');
      this._parts.push(toBytes(data, enc)); return this;
    }
    digest(enc) {
      if (this._done) throw new Error('Digest already called');
      this._done = true;
      const data = this._parts.length === 1 ? this._parts[0] : Buffer.concat(this._parts);
      const out = this._key === undefined ? native.digest(this._alg, data) : native.hmac(this._alg, this._key, data);
      return output(out, enc);
    }
  }
  // RSA PKCS#1 v1.5 signature checks (RS256-style JWTs) over PEM public keys.
  class KeyObject {
    constructor(pem) { this._pem = pem; }
    get type() { return 'public'; }
    get asymmetricKeyType() { return 'rsa'; }
    export() { return this._pem; }
  }
  function pemOf(key) {
    if (key instanceof KeyObject) return key._pem;
    if (typeof key === 'string') return key;
    if (key instanceof Uint8Array) return native.utf8Decode(key);
    if (key && typeof key === 'object' && key.key !== undefined) return pemOf(key.key);
    throw new TypeError('The "key" argument must be a PEM string, Buffer or KeyObject');
  }
  function rsaAlgorithm(alg) {
    if (alg === null || alg === undefined) return 'sha256';
    return algorithm(String(alg).replace(/^rsa-/i, ''));
  }
  function rsaVerify(alg, key, data, sig) {
    return native.rsaVerify(rsaAlgorithm(alg), pemOf(key), data, sig);
  }
  class Verify {
    constructor(alg) { this._alg = alg; this._parts = []; }
    update(data, enc) { this._parts.push(toBytes(data, enc)); return this; }
    verify(key, sig, enc) {
      const data = this._parts.length === 1 ? this._parts[0] : Buffer.concat(this._parts);
      return rsaVerify(this._alg, key, data, toBytes(sig, enc));
    }
  }
  Object.freeze(KeyObject.prototype);
  Object.freeze(Verify.prototype);
  Object.freeze(Hash.prototype);

  const crypto = {
    createPublicKey: (key) => new KeyObject(pemOf(key)),
    createVerify: (alg) => new Verify(alg),
    verify: (alg, data, key, sig) => rsaVerify(alg, key, toBytes(data), toBytes(sig)),
    createHash: (alg) => new Hash(alg),
    createHmac: (alg, key) => new Hash(alg, toBytes(key)),
    getHashes: () => HASHES.slice(),
    randomBytes: (n) => Buffer._wrap(native.randomBytes(n | 0)),
    // [min, max), max - min < 2**48, as Node.js; by rejection, without bias.
    randomInt: (min, max, callback) => {
      if (max === undefined || typeof max === 'function') { callback = max; max = min; min = 0; }
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min >= 2 ** 48) {
        throw new RangeError('The "max" argument must be a safe integer greater than "min", less than 2**48 from it');
      }
      const range = max - min, limit = 2 ** 48 - (2 ** 48 % range);
      let x;
      do { const b = native.randomBytes(6); x = b.reduce((a, v) => a * 256 + v, 0); } while (x >= limit);
      const n = min + (x % range);
      if (typeof callback === 'function') { Promise.resolve().then(() => callback(null, n)); return undefined; }
      return n;
    },
    randomUUID: () => {
      const h = native.hexEncode(native.randomBytes(16)).split('');
      h[12] = '4'; h[16] = '89ab'[parseInt(h[16], 16) & 3];
      const s = h.join('');
      return s.slice(0, 8) + '-' + s.slice(8, 12) + '-' + s.slice(12, 16) + '-' + s.slice(16, 20) + '-' + s.slice(20);
    },
    timingSafeEqual: (a, b) => {
      if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length');
      let d = 0; for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i]; return d === 0;
    },
  };
  return crypto;
})
