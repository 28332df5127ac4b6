// The CloudFront Functions runtime modules (spec §4.1, §4.3), evaluated once
// per realm before lockdown. Heavy work (encodings, hashes, percent-decoding,
// key value store reads) is done by the native helpers in `N`; this file only
// shapes the Node/njs-compatible API around them.
// Called as (N, V2): N = native helpers, V2 = true for cloudfront-js-2.0.
(function (N, V2) {
  'use strict';
  // Math.random: the engine's own, noting that the invocation's result is
  // not a function of its event (see cloudfront_functions/memo.rs).
  (function () {
    var random = Math.random, mark = N.nondeterministic;
    var methods = { random() { mark(); return random(); } };
    Object.defineProperty(Math, 'random', { value: methods.random, writable: true, enumerable: false, configurable: true });
  })();
  var ENCODINGS = { 'utf8': 'utf8', 'utf-8': 'utf8', 'hex': 'hex', 'base64': 'base64',
    'base64url': 'base64url', 'latin1': 'latin1', 'binary': 'latin1', 'ascii': 'ascii' };
  function normEnc(enc, dflt) {
    if (enc === undefined || enc === null) return dflt;
    var e = ENCODINGS[String(enc).toLowerCase()];
    if (e === undefined) throw new TypeError('Unknown encoding: ' + enc);
    return e;
  }
  function bytesOf(v) {
    if (v instanceof Uint8Array) return v;
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return null;
  }

  // ---- Buffer (2.0) --------------------------------------------------------
  class Buffer extends Uint8Array {
    static from(value, encOrOffset, length) {
      if (typeof value === 'string') return new Buffer(N.encode(value, normEnc(encOrOffset, 'utf8')));
      if (value instanceof ArrayBuffer) {
        var off = encOrOffset === undefined ? 0 : encOrOffset >>> 0;
        var len = length === undefined ? value.byteLength - off : length >>> 0;
        return new Buffer(value, off, len);
      }
      // A typed array gives its element values (as Node does), a DataView its bytes.
      var b = value instanceof DataView || value instanceof Uint8Array ? bytesOf(value) : null;
      if (b !== null) { var out = new Buffer(b.length); out.set(b); return out; }
      if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (value !== null && typeof value === 'object') {
        // As Node: an object's primitive value first (new String('abc')), then array-likes.
        var prim = typeof value.valueOf === 'function' ? value.valueOf() : value;
        if (prim !== value && prim !== null && prim !== undefined) return Buffer.from(prim, encOrOffset, length);
        if (typeof value.length === 'number') {
          var a = new Buffer(value.length >>> 0);
          for (var i = 0; i < a.length; i++) a[i] = value[i] & 255;
          return a;
        }
      }
      throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer, Array, or array-like object');
    }
    static alloc(size, fill, enc) {
      var b = new Buffer(size >>> 0);
      if (fill !== undefined && fill !== 0) b.fill(fill, 0, b.length, enc);
      return b;
    }
    static allocUnsafe(size) { return new Buffer(size >>> 0); }
    static allocUnsafeSlow(size) { return new Buffer(size >>> 0); }
    static byteLength(v, enc) {
      if (typeof v === 'string') return N.byteLength(v, normEnc(enc, 'utf8'));
      var b = bytesOf(v);
      if (b === null) throw new TypeError('The "string" argument must be a string, Buffer, or ArrayBuffer');
      return b.byteLength;
    }
    static compare(a, b) { return N.compare(bytesOf(a), bytesOf(b)); }
    static concat(list, totalLength) {
      var total = 0, i;
      for (i = 0; i < list.length; i++) total += list[i].length;
      if (totalLength !== undefined) total = totalLength >>> 0;
      var out = new Buffer(total), pos = 0;
      for (i = 0; i < list.length && pos < total; i++) {
        var b = bytesOf(list[i]);
        if (b === null) throw new TypeError('"list" must be an Array of Buffers or Uint8Arrays');
        var n = Math.min(b.length, total - pos);
        out.set(n === b.length ? b : b.subarray(0, n), pos);
        pos += n;
      }
      return out;
    }
    static isBuffer(o) { return o instanceof Buffer; }
    static isEncoding(e) { return typeof e === 'string' && ENCODINGS[e.toLowerCase()] !== undefined; }
    toString(enc, start, end) {
      var s = start === undefined ? 0 : Math.max(0, start | 0);
      var e = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (e <= s) return '';
      return N.decode(s === 0 && e === this.length ? this : this.subarray(s, e), normEnc(enc, 'utf8'));
    }
    toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
    equals(other) { return N.compare(this, bytesOf(other)) === 0; }
    compare(other, tStart, tEnd, sStart, sEnd) {
      var t = bytesOf(other);
      if (t === null) throw new TypeError('The "target" argument must be a Buffer or Uint8Array');
      t = t.subarray(tStart === undefined ? 0 : tStart >>> 0, tEnd === undefined ? t.length : tEnd >>> 0);
      var me = this.subarray(sStart === undefined ? 0 : sStart >>> 0, sEnd === undefined ? this.length : sEnd >>> 0);
      return N.compare(me, t);
    }
    copy(target, tStart, sStart, sEnd) {
      tStart = tStart === undefined ? 0 : tStart | 0;
      sStart = sStart === undefined ? 0 : sStart | 0;
      sEnd = sEnd === undefined ? this.length : Math.min(this.length, sEnd | 0);
      var n = Math.max(0, Math.min(sEnd - sStart, target.length - tStart));
      if (n === 0) return 0;
      target.set(this.subarray(sStart, sStart + n), tStart);
      return n;
    }
    slice(start, end) { return this.subarray(start, end); }
    write(string, offset, length, enc) {
      if (typeof offset === 'string') { enc = offset; offset = 0; length = undefined; }
      else if (typeof length === 'string') { enc = length; length = undefined; }
      offset = offset === undefined ? 0 : offset >>> 0;
      var e = normEnc(enc, 'utf8');
      var bytes = new Uint8Array(N.encode(String(string), e));
      var n = Math.max(0, Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length >>> 0));
      // Only whole UTF-8 characters are written.
      if (e === 'utf8' && n < bytes.length) while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      this.set(bytes.subarray(0, n), offset);
      return n;
    }
    fill(value, offset, end, enc) {
      if (typeof offset === 'string') { enc = offset; offset = 0; end = this.length; }
      else if (typeof end === 'string') { enc = end; end = this.length; }
      if (typeof value === 'boolean') value = +value;
      offset = offset === undefined ? 0 : offset | 0;
      end = end === undefined ? this.length : end | 0;
      if (typeof value === 'number') return Uint8Array.prototype.fill.call(this, value & 255, offset, end);
      var pat = typeof value === 'string' ? new Uint8Array(N.encode(value, normEnc(enc, 'utf8'))) : bytesOf(value);
      if (pat === null || pat.length === 0) return Uint8Array.prototype.fill.call(this, 0, offset, end);
      for (var i = offset, j = 0; i < end; i++, j = (j + 1) % pat.length) this[i] = pat[j];
      return this;
    }
    indexOf(value, byteOffset, enc) {
      if (typeof value === 'number') return Uint8Array.prototype.indexOf.call(this, value & 255, byteOffset);
      var pat = typeof value === 'string' ? new Uint8Array(N.encode(value, normEnc(enc, 'utf8'))) : bytesOf(value);
      return N.indexOf(this, pat, byteOffset === undefined ? 0 : byteOffset | 0);
    }
    includes(value, byteOffset, enc) { return this.indexOf(value, byteOffset, enc) !== -1; }
    lastIndexOf(value, byteOffset, enc) {
      if (typeof byteOffset === 'string') { enc = byteOffset; byteOffset = undefined; }
      var from = byteOffset === undefined ? this.length : byteOffset | 0;
      if (from < 0) from += this.length;
      if (from < 0) return -1;
      if (typeof value === 'number') return Uint8Array.prototype.lastIndexOf.call(this, value & 255, Math.min(from, this.length - 1));
      var pat = typeof value === 'string' ? new Uint8Array(N.encode(value, normEnc(enc, 'utf8'))) : bytesOf(value);
      if (pat === null) throw new TypeError('The "value" argument must be a string, number, Buffer or Uint8Array');
      for (var i = Math.min(from, this.length - pat.length); i >= 0; i--) {
        var j = 0;
        while (j < pat.length && this[i + j] === pat[j]) j++;
        if (j === pat.length) return i;
      }
      return -1;
    }
    _dv() { return new DataView(this.buffer, this.byteOffset, this.byteLength); }
    readUInt8(o) { return this._dv().getUint8(o >>> 0); }
    readInt8(o) { return this._dv().getInt8(o >>> 0); }
    readUInt16LE(o) { return this._dv().getUint16(o >>> 0, true); }
    readUInt16BE(o) { return this._dv().getUint16(o >>> 0, false); }
    readInt16LE(o) { return this._dv().getInt16(o >>> 0, true); }
    readInt16BE(o) { return this._dv().getInt16(o >>> 0, false); }
    readUInt32LE(o) { return this._dv().getUint32(o >>> 0, true); }
    readUInt32BE(o) { return this._dv().getUint32(o >>> 0, false); }
    readInt32LE(o) { return this._dv().getInt32(o >>> 0, true); }
    readInt32BE(o) { return this._dv().getInt32(o >>> 0, false); }
    readFloatLE(o) { return this._dv().getFloat32(o >>> 0, true); }
    readFloatBE(o) { return this._dv().getFloat32(o >>> 0, false); }
    readDoubleLE(o) { return this._dv().getFloat64(o >>> 0, true); }
    readDoubleBE(o) { return this._dv().getFloat64(o >>> 0, false); }
    // Variable-width integers (1 to 6 bytes), as Node: offsets and values
    // out of range are RangeErrors.
    _span(o, n) {
      if (n !== (n | 0) || n < 1 || n > 6) throw new RangeError('The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received ' + n);
      if (o !== (o >>> 0) || o + n > this.length) throw new RangeError('The value of "offset" is out of range. It must be >= 0 and <= ' + (this.length - n) + '. Received ' + o);
    }
    readUIntBE(o, n) { this._span(o, n); var v = 0; for (var i = 0; i < n; i++) v = v * 256 + this[o + i]; return v; }
    readUIntLE(o, n) { this._span(o, n); var v = 0; for (var i = n - 1; i >= 0; i--) v = v * 256 + this[o + i]; return v; }
    readIntBE(o, n) { var v = this.readUIntBE(o, n), m = Math.pow(2, 8 * n - 1); return v >= m ? v - 2 * m : v; }
    readIntLE(o, n) { var v = this.readUIntLE(o, n), m = Math.pow(2, 8 * n - 1); return v >= m ? v - 2 * m : v; }
    _int(v, o, n, signed) {
      this._span(o, n);
      var max = signed ? Math.pow(2, 8 * n - 1) - 1 : Math.pow(2, 8 * n) - 1, min = signed ? -max - 1 : 0;
      v = +v;
      if (!(v >= min && v <= max)) throw new RangeError('The value of "value" is out of range. It must be >= ' + min + ' and <= ' + max + '. Received ' + v);
      return v < 0 ? v + Math.pow(2, 8 * n) : v;
    }
    writeUIntBE(v, o, n) { v = this._int(v, o, n, false); for (var i = n - 1; i >= 0; i--) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeUIntLE(v, o, n) { v = this._int(v, o, n, false); for (var i = 0; i < n; i++) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeIntBE(v, o, n) { v = this._int(v, o, n, true); for (var i = n - 1; i >= 0; i--) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeIntLE(v, o, n) { v = this._int(v, o, n, true); for (var i = 0; i < n; i++) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeUInt8(v, o) { o = o === undefined ? 0 : o; return this.writeUIntBE(v, o, 1); }
    writeInt8(v, o) { o = o === undefined ? 0 : o; return this.writeIntBE(v, o, 1); }
    writeUInt16LE(v, o) { o = o === undefined ? 0 : o; return this.writeUIntLE(v, o, 2); }
    writeUInt16BE(v, o) { o = o === undefined ? 0 : o; return this.writeUIntBE(v, o, 2); }
    writeInt16LE(v, o) { o = o === undefined ? 0 : o; return this.writeIntLE(v, o, 2); }
    writeInt16BE(v, o) { o = o === undefined ? 0 : o; return this.writeIntBE(v, o, 2); }
    writeUInt32LE(v, o) { o = o === undefined ? 0 : o; return this.writeUIntLE(v, o, 4); }
    writeUInt32BE(v, o) { o = o === undefined ? 0 : o; return this.writeUIntBE(v, o, 4); }
    writeInt32LE(v, o) { o = o === undefined ? 0 : o; return this.writeIntLE(v, o, 4); }
    writeInt32BE(v, o) { o = o === undefined ? 0 : o; return this.writeIntBE(v, o, 4); }
    writeFloatLE(v, o) { o = o >>> 0; this._dv().setFloat32(o, v, true); return o + 4; }
    writeFloatBE(v, o) { o = o >>> 0; this._dv().setFloat32(o, v, false); return o + 4; }
    writeDoubleLE(v, o) { o = o >>> 0; this._dv().setFloat64(o, v, true); return o + 8; }
    writeDoubleBE(v, o) { o = o >>> 0; this._dv().setFloat64(o, v, false); return o + 8; }
  }
  var bufferModule = { Buffer: Buffer };

  // ---- crypto ----------------------------------------------------------------
  function Hash(alg, key) {
    if (!N.hashSupported(alg)) throw new Error('Digest method not supported: ' + alg);
    this._alg = alg; this._key = key; this._chunks = []; this._done = false;
  }
  Hash.prototype.update = function (data, enc) {
    if (this._done) throw new Error('Digest already called');
    if (typeof data === 'string' && enc !== undefined && normEnc(enc, 'utf8') !== 'utf8') {
      data = new Uint8Array(N.encode(data, normEnc(enc, 'utf8')));
    } else if (typeof data !== 'string' && bytesOf(data) === null) {
      throw new TypeError('data must be a string or a Buffer');
    }
    this._chunks.push(data);
    return this;
  };
  Hash.prototype.digest = function (enc) {
    if (this._done) throw new Error('Digest already called');
    this._done = true;
    var raw = N.digest(this._alg, this._key, this._chunks);
    if (enc === undefined) {
      // spec §4.1: 2.0 returns a Buffer, 1.0 a byte string.
      return V2 ? new Buffer(raw) : N.byteString(new Uint8Array(raw));
    }
    // The Developer Guide's three encodings (njs refuses the others too).
    var e = ENCODINGS[String(enc).toLowerCase()];
    if (e !== 'hex' && e !== 'base64' && e !== 'base64url') {
      throw new TypeError('Unknown digest encoding: "' + enc + '"');
    }
    return N.decode(new Uint8Array(raw), e);
  };
  var crypto = {
    createHash: function createHash(alg) { return new Hash(String(alg), undefined); },
    createHmac: function createHmac(alg, key) {
      if (typeof key !== 'string' && bytesOf(key) === null) throw new TypeError('key must be a string or a Buffer');
      return new Hash(String(alg), key);
    }
  };

  // ---- querystring -----------------------------------------------------------
  function qsUnescape(s) { return N.unescape(s); }
  function qsEscape(s) { return encodeURIComponent(s); }
  function qsParse(str, sep, eq, options) {
    var obj = {};
    if (typeof str !== 'string' || str.length === 0) return obj;
    sep = sep || '&'; eq = eq || '=';
    var maxKeys = 1000, decode = querystring.unescape;
    if (options) {
      if (typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
      if (typeof options.decodeURIComponent === 'function') decode = options.decodeURIComponent;
    }
    var parts = str.split(sep);
    if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      if (p.length === 0) continue;
      var idx = p.indexOf(eq), k, v;
      if (idx >= 0) { k = p.substring(0, idx); v = p.substring(idx + eq.length); } else { k = p; v = ''; }
      k = decode(k.replace(/\+/g, ' ')); v = decode(v.replace(/\+/g, ' '));
      if (!Object.prototype.hasOwnProperty.call(obj, k)) obj[k] = v;
      else if (Array.isArray(obj[k])) obj[k].push(v);
      else obj[k] = [obj[k], v];
    }
    return obj;
  }
  function qsPrim(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isFinite(v)) return '' + v;
    if (typeof v === 'bigint' || typeof v === 'boolean') return '' + v;
    return '';
  }
  function qsStringify(obj, sep, eq, options) {
    sep = sep || '&'; eq = eq || '=';
    var enc = (options && typeof options.encodeURIComponent === 'function') ? options.encodeURIComponent : querystring.escape;
    if (obj === null || typeof obj !== 'object') return '';
    var out = [], keys = Object.keys(obj);
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i], v = obj[k], ks = enc(qsPrim(k)) + eq;
      if (Array.isArray(v)) { for (var j = 0; j < v.length; j++) out.push(ks + enc(qsPrim(v[j]))); }
      else out.push(ks + enc(qsPrim(v)));
    }
    return out.join(sep);
  }
  var querystring = { parse: qsParse, decode: qsParse, stringify: qsStringify, encode: qsStringify,
    escape: qsEscape, unescape: qsUnescape };

  // ---- require -----------------------------------------------------------------
  var modules = { crypto: crypto, querystring: querystring };
  if (V2) modules.buffer = bufferModule;
  function require(name) {
    if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
    throw new Error('Cannot find module "' + name + '"');
  }

  // ---- cloudfront (2.0) ------------------------------------------------------
  function kvs() {
    return {
      get: function get(key, opts) {
        var fmt = opts && opts.format !== undefined ? String(opts.format) : 'string';
        try {
          var v = N.kvsGet(String(key), fmt);
          if (fmt === 'bytes') v = new Buffer(v);
          return Promise.resolve(v);
        } catch (e) { return Promise.reject(e); }
      },
      exists: function exists(key) {
        try { return Promise.resolve(N.kvsExists(String(key))); } catch (e) { return Promise.reject(e); }
      },
      meta: function meta() {
        try { return Promise.resolve(N.kvsMeta()); } catch (e) { return Promise.reject(e); }
      }
    };
  }
  var cf = {
    kvs: function (id) { N.kvsCheck(); return kvs(); },
    updateRequestOrigin: function updateRequestOrigin(p) { N.origin('update', p); },
    selectRequestOriginById: function selectRequestOriginById(id, p) { N.origin('select', { originId: id, options: p }); },
    createRequestOriginGroup: function createRequestOriginGroup(p) { N.origin('group', p); },
    logCustomData: function logCustomData(s) { N.logCustomData(String(s)); }
  };
  Object.defineProperty(cf, 'edgeLocation', { enumerable: true, get: function () { return N.edgeLocation(); } });

  // ---- globals -------------------------------------------------------------------
  var g = globalThis;
  function def(name, value) {
    Object.defineProperty(g, name, { value: value, writable: false, enumerable: false, configurable: false });
  }
  // The engine has Annex B (String.prototype.substr is on CloudFront's list
  // of supported methods); the global escape/unescape are not on it.
  delete g.escape;
  delete g.unescape;
  // spec §4.1: both runtimes list InternalError, 1.0 also MemoryError
  // (njs's own error types). Like the built-in ones: callable with or
  // without `new`, real Error objects, `name` on the prototype.
  var construct = Reflect.construct;
  var errorType = function (name) {
    var E = function (message) {
      return construct(Error, arguments, new.target || E);
    };
    Object.defineProperty(E, 'name', { value: name, configurable: true });
    Object.setPrototypeOf(E, Error);
    E.prototype = Object.create(Error.prototype, {
      constructor: { value: E, writable: true, configurable: true },
      name: { value: name, writable: true, configurable: true },
      message: { value: '', writable: true, configurable: true }
    });
    Object.defineProperty(E, 'prototype', { writable: false });
    def(name, E);
  };
  errorType('InternalError');
  if (!V2) errorType('MemoryError');
  // `console` has `log` only: the Developer Guide documents nothing else,
  // and deployed functions test `!console.error` to tell CloudFront from Node.
  def('console', {
    log: function log() { N.log(V2 ? [arguments[0]] : Array.prototype.slice.call(arguments)); }
  });
  if (V2) {
    def('Buffer', Buffer);
    def('TextEncoder', class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(s) { return new Uint8Array(N.encode(s === undefined ? '' : String(s), 'utf8')); }
    });
    def('TextDecoder', class TextDecoder {
      constructor(label, opts) {
        var l = label === undefined ? 'utf-8' : String(label).toLowerCase();
        if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported');
        this._fatal = !!(opts && opts.fatal); this._ignoreBOM = !!(opts && opts.ignoreBOM);
      }
      get encoding() { return 'utf-8'; }
      get fatal() { return this._fatal; }
      get ignoreBOM() { return this._ignoreBOM; }
      decode(b) {
        if (b === undefined) return '';
        var u = bytesOf(b);
        if (u === null) throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
        var s = this._fatal ? N.decodeFatal(u) : N.decode(u, 'utf8');
        if (!this._ignoreBOM && s.charCodeAt(0) === 0xFEFF) s = s.substring(1);
        return s;
      }
    });
    // As in Node and browsers: a missing argument is a TypeError, a bad
    // input a DOMException named InvalidCharacterError (code 5).
    var characterError = function (e) {
      var prefix = 'InvalidCharacterError: ';
      if (!(e instanceof Error) || e.message.indexOf(prefix) !== 0) return e;
      var d = new Error(e.message.slice(prefix.length));
      d.name = 'InvalidCharacterError';
      d.code = 5;
      return d;
    };
    var base64Function = function (name, f) {
      return {
        [name](s) {
          if (arguments.length === 0) throw new TypeError('The "' + name + '" argument must be specified');
          try { return f(String(s)); } catch (e) { throw characterError(e); }
        }
      }[name];
    };
    def('atob', base64Function('atob', N.atob));
    def('btoa', base64Function('btoa', N.btoa));
  } else {
    // spec §4.1: the njs byte-string methods of the 1.0 runtime.
    var toByteString = N.byteString;
    Object.defineProperty(String, 'bytesFrom', { writable: true, configurable: true, value: function bytesFrom(v, enc) {
      if (typeof v === 'string') return toByteString(new Uint8Array(N.encode(v, normEnc(enc, 'hex'))));
      var a = new Uint8Array(v.length); for (var i = 0; i < v.length; i++) a[i] = v[i] & 255;
      return toByteString(a);
    } });
    var sp = String.prototype;
    var method = function (name, f) { Object.defineProperty(sp, name, { writable: true, configurable: true, value: f }); };
    method('toBytes', function toBytes(start, end) {
      var s = String(this).substring(start === undefined ? 0 : start, end === undefined ? Infinity : end);
      for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return null;
      return N.byteString(s);
    });
    method('fromBytes', function fromBytes(start, end) {
      var s = String(this).substring(start === undefined ? 0 : start, end === undefined ? Infinity : end);
      for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return null;
      return s;
    });
    method('toUTF8', function toUTF8(start, end) {
      var s = String(this).substring(start === undefined ? 0 : start, end === undefined ? Infinity : end);
      return toByteString(new Uint8Array(N.encode(s, 'utf8')));
    });
    method('fromUTF8', function fromUTF8(start, end) {
      var s = String(this).substring(start === undefined ? 0 : start, end === undefined ? Infinity : end);
      var b = N.encode(s, 'latin1');
      try { return N.decodeFatal(new Uint8Array(b)); } catch (e) { return null; }
    });
    // njs's string encoder, used by 1.0 code (`'user:pass'.toString('base64')`):
    // with an encoding, the string's bytes (a byte string's own, a text
    // string's UTF-8) as hex, base64 or base64url.
    var stringToString = sp.toString;
    method('toString', function toString(enc) {
      var s = stringToString.call(this);
      if (enc === undefined) return s;
      if (typeof enc !== 'string') throw new TypeError('encoding must be a string');
      if (enc !== 'hex' && enc !== 'base64' && enc !== 'base64url') throw new TypeError('Unknown encoding: "' + enc + '"');
      return N.decode(new Uint8Array(N.encode(s, N.isByteString(s) ? 'latin1' : 'utf8')), enc);
    });
    // spec §4.1: replaceAll arrived with 2.0.
    delete sp.replaceAll;
  }
  // spec §4.1: the 1.0 runtime lists its built-ins. The engine's newer ones
  // that njs (whose API 1.0 exposes) does not have either are retired, so
  // that code relying on them fails here as it would on CloudFront. Lockdown
  // removes them (sets them to undefined), after taking what it needs itself.
  var retired = [];
  if (!V2) {
    var retire = function (holder, names) {
      names.forEach(function (n) { if (Object.prototype.hasOwnProperty.call(holder, n)) retired.push([holder, n]); });
    };
    retire(g, ['Atomics', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'FinalizationRegistry', 'Iterator',
      'Map', 'Proxy', 'Reflect', 'Set', 'SharedArrayBuffer', 'TypedArray', 'WeakMap', 'WeakRef', 'WeakSet']);
    retire(Object, ['fromEntries', 'groupBy', 'hasOwn']);
    retire(Object.prototype, ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
    retire(Array, ['from']);
    retire(Array.prototype, ['at', 'findLast', 'findLastIndex', 'flat', 'flatMap', 'toReversed', 'toSorted',
      'toSpliced', 'with']);
    retire(Object.getPrototypeOf(Int8Array.prototype), ['at', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'with']);
    retire(String, ['raw']);
    retire(String.prototype, ['anchor', 'at', 'big', 'blink', 'bold', 'fixed', 'fontcolor', 'fontsize',
      'isWellFormed', 'italics', 'link', 'matchAll', 'normalize', 'small', 'strike', 'sub', 'sup',
      'toWellFormed', 'trimLeft', 'trimRight']);
    retire(JSON, ['isRawJSON', 'rawJSON']);
    retire(Promise, ['try', 'withResolvers']);
  }
  // Everything reachable only through closures is handed to lockdown as well.
  return { require: require, cf: cf, buffer: bufferModule, modules: modules, hash: Hash, querystring: querystring,
    retired: retired };
})
