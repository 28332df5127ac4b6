// The embedded Lambda@Edge runtime's JavaScript half (compiled once per
// worker thread). It receives the native helpers from `lambda_runtime.rs` and
// returns the pieces the Rust side runs invocations with (see `Runtime` in
// `lambda_runtime.rs`): each runs a module factory with a fresh top-level
// scope, a fresh `console`, fresh timers and the CommonJS
// `module`/`exports`/`require` trio, Node.js-style.
(function (native) {
  'use strict';

  // === Buffer (a Uint8Array subclass, as in Node.js) ===
  // A plain function rather than a class, so that the deprecated `Buffer(x)`
  // and `new Buffer(x)` forms (still common in edge code) work as in Node.js.
  function Buffer(arg, encodingOrOffset, length) {
    if (typeof arg === 'number') {
      if (typeof encodingOrOffset === 'string') throw new TypeError('The "string" argument must be of type string. Received type number');
      return Buffer.alloc(arg);
    }
    return Buffer.from(arg, encodingOrOffset, length);
  }
  Object.setPrototypeOf(Buffer, Uint8Array);
  Buffer.prototype = Object.create(Uint8Array.prototype);
  // Own, non-enumerable members, as a class body would define them.
  const define = (target, members) => {
    for (const k of Reflect.ownKeys(members)) {
      const d = Object.getOwnPropertyDescriptor(members, k);
      d.enumerable = false;
      Object.defineProperty(target, k, d);
    }
  };
  const wrap = (u8) => { Object.setPrototypeOf(u8, Buffer.prototype); return u8; };
  const dataView = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const checkOffset = (b, o, n) => {
    o = o === undefined ? 0 : o;
    if (typeof o !== 'number' || o !== Math.floor(o)) throw new TypeError('The "offset" argument must be an integer. Received ' + String(o));
    if (o < 0 || o + n > b.length) { const e = new RangeError('The value of "offset" is out of range. It must be >= 0 and <= ' + (b.length - n) + '. Received ' + o); e.code = 'ERR_OUT_OF_RANGE'; throw e; }
    return o;
  };
  // [name, byte size, DataView getter/setter suffix, little endian]
  const NUMBERS = [
    ['UInt8', 1, 'Uint8', false], ['Int8', 1, 'Int8', false],
    ['UInt16LE', 2, 'Uint16', true], ['UInt16BE', 2, 'Uint16', false],
    ['Int16LE', 2, 'Int16', true], ['Int16BE', 2, 'Int16', false],
    ['UInt32LE', 4, 'Uint32', true], ['UInt32BE', 4, 'Uint32', false],
    ['Int32LE', 4, 'Int32', true], ['Int32BE', 4, 'Int32', false],
    ['FloatLE', 4, 'Float32', true], ['FloatBE', 4, 'Float32', false],
    ['DoubleLE', 8, 'Float64', true], ['DoubleBE', 8, 'Float64', false],
    ['BigUInt64LE', 8, 'BigUint64', true], ['BigUInt64BE', 8, 'BigUint64', false],
    ['BigInt64LE', 8, 'BigInt64', true], ['BigInt64BE', 8, 'BigInt64', false],
  ];
  const numberMethods = {};
  for (const [name, size, dv, le] of NUMBERS) {
    const get = 'get' + dv; const set = 'set' + dv;
    numberMethods['read' + name] = function (o) { o = checkOffset(this, o, size); return dataView(this)[get](o, le); };
    numberMethods['write' + name] = function (v, o) { o = checkOffset(this, o, size); dataView(this)[set](o, v, le); return o + size; };
    if (name.includes('UInt')) {
      const alias = name.replace('UInt', 'Uint');
      numberMethods['read' + alias] = numberMethods['read' + name];
      numberMethods['write' + alias] = numberMethods['write' + name];
    }
  }
  // The bytes to search for or fill with: a string (in `enc`), bytes, or a byte value.
  const needleBytes = (v, enc) => (typeof v === 'number' ? Uint8Array.of(v & 255) : toBytes(v, enc));
  function search(hay, v, from, enc, last) {
    if (typeof from === 'string') { enc = from; from = undefined; }
    const n = needleBytes(v, enc);
    const len = hay.length;
    let i = from === undefined ? (last ? len - n.length : 0) : (from < 0 ? Math.max(len + from, 0) : Math.min(from, len));
    if (last) i = Math.min(i, len - n.length);
    if (n.length === 0) return Math.min(i, len);
    for (; last ? i >= 0 : i <= len - n.length; last ? i-- : i++) {
      let j = 0;
      while (j < n.length && hay[i + j] === n[j]) j++;
      if (j === n.length) return i;
    }
    return -1;
  }
  define(Buffer, {
    from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return wrap(encode(value, encodingOrOffset));
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
        const off = encodingOrOffset === undefined ? 0 : encodingOrOffset | 0;
        const len = length === undefined ? value.byteLength - off : length;
        return wrap(new Uint8Array(value, off, len)); // shares memory, as in Node.js
      }
      if (value && typeof value === 'object' && value.type === 'Buffer' && Array.isArray(value.data)) {
        return wrap(Uint8Array.from(value.data));
      }
      if (value && typeof value === 'object' && typeof value.length === 'number') {
        return wrap(Uint8Array.from(value));
      }
      if (value && typeof value === 'object' && typeof value.valueOf === 'function' && value.valueOf() !== value) return Buffer.from(value.valueOf(), encodingOrOffset, length);
      throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.');
    },
    _wrap: wrap,
    alloc(size, fill, enc) { const b = wrap(new Uint8Array(size)); if (fill !== undefined && fill !== 0) b.fill(fill, 0, size, enc); return b; },
    allocUnsafe(size) { return wrap(new Uint8Array(size)); },
    allocUnsafeSlow(size) { return wrap(new Uint8Array(size)); },
    isBuffer(b) { return b instanceof Buffer; },
    isEncoding(e) { return typeof e === 'string' && ENCODINGS.includes(e.toLowerCase()); },
    byteLength(s, enc) { return typeof s === 'string' ? encode(s, enc).length : s.byteLength; },
    concat(list, total) {
      const len = total === undefined ? list.reduce((n, b) => n + b.length, 0) : total;
      const out = Buffer.alloc(len);
      let off = 0;
      for (const b of list) { if (off >= len) break; out.set(b.subarray(0, len - off), off); off += b.length; }
      return out;
    },
    compare(a, b) { return Buffer.prototype.compare.call(a, b); },
    poolSize: 8192,
  });
  define(Buffer.prototype, {
    constructor: Buffer,
    toString(enc, start, end) {
      const s = start === undefined ? 0 : Math.max(0, start | 0);
      const e = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (e <= s) return '';
      const view = (s === 0 && e === this.length) ? this : this.subarray(s, e);
      return decode(view, enc);
    },
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; },
    equals(other) { return this.compare(other) === 0; },
    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) { if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1; }
      return this.length === other.length ? 0 : (this.length < other.length ? -1 : 1);
    },
    // write(string[, offset[, length]][, encoding])
    write(string, offset, length, enc) {
      if (typeof offset === 'string') { enc = offset; offset = 0; length = undefined; }
      else if (typeof length === 'string') { enc = length; length = undefined; }
      offset = offset === undefined ? 0 : offset | 0;
      const room = this.length - offset;
      const max = length === undefined ? room : Math.min(room, length | 0);
      const b = encode(string, enc);
      const n = Math.min(b.length, max);
      this.set(b.subarray(0, n), offset);
      return n;
    },
    fill(value, offset, end, enc) {
      if (typeof offset === 'string') { enc = offset; offset = 0; end = this.length; }
      else if (typeof end === 'string') { enc = end; end = this.length; }
      const s = offset === undefined ? 0 : offset | 0;
      const e = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (typeof value === 'number') { Uint8Array.prototype.fill.call(this, value & 255, s, e); return this; }
      if (typeof value === 'boolean') { Uint8Array.prototype.fill.call(this, value ? 1 : 0, s, e); return this; }
      const pat = toBytes(value, enc);
      if (pat.length === 0) { Uint8Array.prototype.fill.call(this, 0, s, e); return this; }
      for (let i = s, j = 0; i < e; i++, j = (j + 1) % pat.length) this[i] = pat[j];
      return this;
    },
    copy(target, targetStart, sourceStart, sourceEnd) {
      const ts = targetStart === undefined ? 0 : targetStart | 0;
      const ss = sourceStart === undefined ? 0 : sourceStart | 0;
      const se = sourceEnd === undefined ? this.length : Math.min(this.length, sourceEnd | 0);
      const n = Math.max(0, Math.min(se - ss, target.length - ts));
      target.set(Uint8Array.prototype.subarray.call(this, ss, ss + n), ts);
      return n;
    },
    indexOf(v, from, enc) { return search(this, v, from, enc, false); },
    lastIndexOf(v, from, enc) { return search(this, v, from, enc, true); },
    includes(v, from, enc) { return search(this, v, from, enc, false) !== -1; },
    slice(start, end) { return this.subarray(start, end); },
    subarray(start, end) { return wrap(Uint8Array.prototype.subarray.call(this, start, end)); },
    toLocaleString(enc, start, end) { return this.toString(enc, start, end); },
  });
  define(Buffer.prototype, numberMethods);
  const ENCODINGS = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'ascii', 'latin1', 'binary', 'ucs2', 'ucs-2', 'utf16le', 'utf-16le'];
  function utf16Encode(s) {
    const out = new Uint8Array(s.length * 2);
    for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); out[2 * i] = c & 255; out[2 * i + 1] = c >> 8; }
    return out;
  }
  function utf16Decode(u8) {
    let s = '';
    for (let i = 0; i + 1 < u8.length; i += 2) s += String.fromCharCode(u8[i] | (u8[i + 1] << 8));
    return s;
  }
  function encode(s, enc) {
    s = String(s);
    switch ((enc || 'utf8').toLowerCase()) {
      case 'utf8': case 'utf-8': return native.utf8Encode(s);
      case 'hex': return native.hexDecode(s);
      case 'base64': case 'base64url': return native.base64Decode(s);
      case 'ascii': case 'latin1': case 'binary': return native.latin1Encode(s);
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return utf16Encode(s);
      default: throw new TypeError('Unknown encoding: ' + enc);
    }
  }
  function decode(u8, enc) {
    switch ((enc || 'utf8').toLowerCase()) {
      case 'utf8': case 'utf-8': return native.utf8Decode(u8);
      case 'hex': return native.hexEncode(u8);
      case 'base64': return native.base64Encode(u8, false);
      case 'base64url': return native.base64Encode(u8, true);
      case 'ascii': return native.latin1Decode(Uint8Array.from(u8, (b) => b & 127));
      case 'latin1': case 'binary': return native.latin1Decode(u8);
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return utf16Decode(u8);
      default: throw new TypeError('Unknown encoding: ' + enc);
    }
  }
  function toBytes(data, enc) {
    if (typeof data === 'string') return encode(data, enc);
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
  }
  function output(u8, enc) { const b = Buffer._wrap(u8); return enc ? b.toString(enc) : b; }

  // === querystring ===
  // As Node.js: where decodeURIComponent fails, each run of valid %XX
  // escapes is decoded as UTF-8 bytes (U+FFFD where they are not UTF-8) and
  // the rest is kept.
  function qsUnescape(s) {
    const t = s.replace(/\+/g, ' ');
    try { return decodeURIComponent(t); } catch (e) {
      return t.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => native.utf8Decode(
        Uint8Array.from(run.match(/%[0-9a-fA-F]{2}/g), (x) => parseInt(x.slice(1), 16))));
    }
  }
  // Node.js leaves the same characters unescaped as encodeURIComponent.
  function qsEscape(s) {
    return encodeURIComponent(typeof s === 'string' ? s : String(s));
  }
  function stringifyPrimitive(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isFinite(v)) return '' + v;
    if (typeof v === 'bigint' || typeof v === 'boolean') return '' + v;
    return '';
  }
  const querystring = {
    escape: qsEscape,
    unescape: qsUnescape,
    parse(str, sep, eq, options) {
      sep = sep || '&'; eq = eq || '=';
      const out = Object.create(null);
      if (typeof str !== 'string' || str.length === 0) return out;
      const max = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
      const decodeFn = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : qsUnescape;
      let parts = str.split(sep);
      if (max > 0) parts = parts.slice(0, max);
      for (const part of parts) {
        if (part.length === 0) continue;
        const i = part.indexOf(eq);
        const k = decodeFn(i >= 0 ? part.slice(0, i) : part);
        const v = i >= 0 ? decodeFn(part.slice(i + eq.length)) : '';
        if (!(k in out)) out[k] = v;
        else if (Array.isArray(out[k])) out[k].push(v);
        else out[k] = [out[k], v];
      }
      return out;
    },
    stringify(obj, sep, eq, options) {
      sep = sep || '&'; eq = eq || '=';
      const enc = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : qsEscape;
      if (obj === null || typeof obj !== 'object') return '';
      const out = [];
      for (const k of Object.keys(obj)) {
        const v = obj[k];
        const ks = enc(stringifyPrimitive(k)) + eq;
        if (Array.isArray(v)) { for (const x of v) out.push(ks + enc(stringifyPrimitive(x))); }
        else out.push(ks + enc(stringifyPrimitive(v)));
      }
      return out.join(sep);
    },
  };
  querystring.decode = querystring.parse;
  querystring.encode = querystring.stringify;

  // === url: URLSearchParams, URL, legacy parse/format ===
  function formEncode(s) {
    return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  }
  class URLSearchParams {
    constructor(init) {
      this._list = [];
      this._url = null;
      if (init === undefined || init === null) return;
      if (typeof init === 'string') this._parse(init);
      else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) this._list.push([String(pair[0]), String(pair[1])]);
      } else if (typeof init === 'object') {
        for (const k of Object.keys(init)) this._list.push([k, String(init[k])]);
      }
    }
    _parse(s) {
      this._list = [];
      if (s.startsWith('?')) s = s.slice(1);
      for (const part of s.split('&')) {
        if (part.length === 0) continue;
        const i = part.indexOf('=');
        this._list.push(i >= 0 ? [qsUnescape(part.slice(0, i)), qsUnescape(part.slice(i + 1))] : [qsUnescape(part), '']);
      }
    }
    _update() { if (this._url) { const s = this.toString(); this._url._search = s ? '?' + s : ''; } }
    get size() { return this._list.length; }
    append(k, v) { this._list.push([String(k), String(v)]); this._update(); }
    delete(k) { this._list = this._list.filter((p) => p[0] !== k); this._update(); }
    get(k) { const p = this._list.find((p) => p[0] === k); return p ? p[1] : null; }
    getAll(k) { return this._list.filter((p) => p[0] === k).map((p) => p[1]); }
    has(k) { return this._list.some((p) => p[0] === k); }
    set(k, v) {
      k = String(k); v = String(v);
      const i = this._list.findIndex((p) => p[0] === k);
      if (i < 0) this._list.push([k, v]);
      else { this._list[i][1] = v; this._list = this._list.filter((p, j) => j <= i || p[0] !== k); }
      this._update();
    }
    sort() { this._list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._update(); }
    forEach(fn, thisArg) { for (const [k, v] of this._list) fn.call(thisArg, v, k, this); }
    keys() { return this._list.map((p) => p[0])[Symbol.iterator](); }
    values() { return this._list.map((p) => p[1])[Symbol.iterator](); }
    entries() { return this._list.map((p) => [p[0], p[1]])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this._list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
  }
  const DEFAULT_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21' };
  const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*:)(?:\/\/(?:([^:@\/?#]*)(?::([^@\/?#]*))?@)?(\[[^\]]*\]|[^:\/?#]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/;
  class URL {
    constructor(input, base) {
      let s = String(input).trim();
      let m = URL_RE.exec(s);
      if (!m && base !== undefined) {
        const b = base instanceof URL ? base : new URL(base);
        if (s.startsWith('//')) s = b.protocol + s;
        else if (s.startsWith('/')) s = b.origin + s;
        else if (s.startsWith('?')) s = b.origin + b.pathname + s;
        else if (s.startsWith('#')) s = b.origin + b.pathname + b.search + s;
        else s = b.origin + b.pathname.replace(/[^\/]*$/, '') + s;
        m = URL_RE.exec(s);
      }
      if (!m) { const e = new TypeError('Invalid URL'); e.code = 'ERR_INVALID_URL'; e.input = input; throw e; }
      this._protocol = m[1].toLowerCase();
      this.username = m[2] || '';
      this.password = m[3] || '';
      this.hostname = (m[4] || '').toLowerCase();
      this._port = m[5] && m[5] !== DEFAULT_PORTS[this._protocol] ? m[5] : '';
      let path = m[6] || '';
      if (this.hostname && path === '') path = '/';
      this.pathname = normalizePath(path);
      this._search = m[7] && m[7] !== '?' ? m[7] : '';
      this.hash = m[8] && m[8] !== '#' ? m[8] : '';
      this._params = new URLSearchParams(this._search);
      this._params._url = this;
    }
    get protocol() { return this._protocol; }
    set protocol(v) { this._protocol = String(v).replace(/:?$/, ':'); }
    get port() { return this._port; }
    set port(v) { this._port = String(v) === DEFAULT_PORTS[this._protocol] ? '' : String(v); }
    get host() { return this.hostname + (this._port ? ':' + this._port : ''); }
    set host(v) { const i = String(v).lastIndexOf(':'); if (i > 0) { this.hostname = v.slice(0, i); this.port = v.slice(i + 1); } else { this.hostname = String(v); this._port = ''; } }
    get origin() { return this._protocol + '//' + this.host; }
    get search() { return this._search; }
    set search(v) { v = String(v); this._search = v && v !== '?' ? (v.startsWith('?') ? v : '?' + v) : ''; this._params._parse(this._search); }
    get searchParams() { return this._params; }
    get href() {
      const auth = this.username ? this.username + (this.password ? ':' + this.password : '') + '@' : '';
      return this._protocol + '//' + auth + this.host + this.pathname + this._search + this.hash;
    }
    set href(v) { const u = new URL(v); Object.assign(this, u); this._params._url = this; }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }
  function normalizePath(p) {
    if (!p.startsWith('/')) return p;
    const out = [];
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      if (s === '..') { out.pop(); if (i === segs.length - 1) out.push(''); }
      else if (s === '.') { if (i === segs.length - 1) out.push(''); }
      else out.push(s);
    }
    return '/' + out.join('/');
  }
  const LEGACY_RE = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*:)?\/\/(?:([^@\/?#]*)@)?([^:\/?#]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/;
  const url = {
    URL,
    URLSearchParams,
    parse(s, parseQuery) {
      const m = LEGACY_RE.exec(String(s)) || [];
      const search = m[6] || null;
      const query = search ? search.slice(1) : null;
      const host = m[3] !== undefined && m[3] !== '' ? m[3].toLowerCase() + (m[4] ? ':' + m[4] : '') : null;
      return {
        protocol: m[1] ? m[1].toLowerCase() : null,
        slashes: m[3] !== undefined ? true : null,
        auth: m[2] || null,
        host,
        port: m[4] || null,
        hostname: host ? m[3].toLowerCase() : null,
        hash: m[7] || null,
        search,
        query: parseQuery ? querystring.parse(query || '') : query,
        pathname: m[5] || (host ? '/' : null),
        path: (m[5] || (host ? '/' : '')) + (search || '') || null,
        href: String(s),
      };
    },
    // Node.js's own definition, on the WHATWG URL.
    resolve(from, to) {
      const resolved = new URL(to, new URL(from, 'resolve://'));
      if (resolved.protocol === 'resolve:') return resolved.pathname + resolved.search + resolved.hash;
      return resolved.toString();
    },
    format(o) {
      if (o instanceof URL) return o.href;
      const proto = o.protocol ? o.protocol.replace(/:?$/, ':') : '';
      const host = o.host || (o.hostname ? o.hostname + (o.port ? ':' + o.port : '') : '');
      let search = o.search || '';
      if (!search && o.query && typeof o.query === 'object') { const q = querystring.stringify(o.query); if (q) search = '?' + q; }
      if (search && search[0] !== '?') search = '?' + search;
      return proto + (host ? '//' + (o.auth ? o.auth + '@' : '') + host : '') + (o.pathname || '') + search + (o.hash || '');
    },
  };

  // === util (format, inspect-lite) ===
  function inspect(v) {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return v.stack || (v.name + ': ' + v.message);
    if (typeof v === 'function') return '[Function: ' + (v.name || 'anonymous') + ']';
    if (v === undefined) return 'undefined';
    if (typeof v === 'object' && v !== null) { try { return JSON.stringify(v); } catch (e) { return String(v); } }
    return String(v);
  }
  function format(...args) {
    if (typeof args[0] !== 'string') return args.map(inspect).join(' ');
    let i = 1;
    const head = args[0].replace(/%[sdifjoO%]/g, (m) => {
      if (m === '%%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      switch (m) {
        case '%s': return typeof a === 'string' ? a : inspect(a);
        case '%d': case '%i': return String(m === '%i' ? parseInt(a) : Number(a));
        case '%f': return String(parseFloat(a));
        case '%j': try { return JSON.stringify(a); } catch (e) { return '[Circular]'; }
        default: return inspect(a);
      }
    });
    return [head].concat(args.slice(i).map(inspect)).join(' ');
  }
  const util = { format, inspect, promisify: (fn) => (...a) => new Promise((res, rej) => fn(...a, (e, v) => (e ? rej(e) : res(v)))) };
  util.inherits = (ctor, superCtor) => { Object.setPrototypeOf(ctor.prototype, superCtor.prototype); Object.setPrototypeOf(ctor, superCtor); Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true }); };
  util.deprecate = (fn) => fn;
  util.isArray = Array.isArray;
  util.types = {
    isDate: (v) => v instanceof Date,
    isRegExp: (v) => v instanceof RegExp,
    isPromise: (v) => v instanceof Promise,
    isUint8Array: (v) => v instanceof Uint8Array,
    isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
    isArrayBuffer: (v) => v instanceof ArrayBuffer,
    isNativeError: (v) => v instanceof Error,
  };

  class TextEncoder { get encoding() { return 'utf-8'; } encode(s) { return native.utf8Encode(String(s === undefined ? '' : s)); } }
  class TextDecoder { get encoding() { return 'utf-8'; } decode(b) { return b === undefined ? '' : native.utf8Decode(toBytes(b)); } }
  const atob = (s) => native.latin1Decode(native.base64Decode(String(s)));
  const btoa = (s) => native.base64Encode(native.latin1Encode(String(s)), false);

  util.TextEncoder = TextEncoder; util.TextDecoder = TextDecoder;
  const MODULES = { buffer: { Buffer, constants: { MAX_LENGTH: 4294967296 } }, querystring, url, util };
  for (const m of Object.values(MODULES)) Object.freeze(m);
  Object.freeze(Buffer); Object.freeze(Buffer.prototype);
  Object.freeze(URL); Object.freeze(URL.prototype);
  Object.freeze(URLSearchParams); Object.freeze(URLSearchParams.prototype);

  function errorText(e) {
    // boa does not name what it could not call; the usual cause is a Node.js
    // API this runtime lacks.
    if (e instanceof TypeError && e.message === 'not a callable function') {
      return 'TypeError: not a callable function (a Node.js API the embedded runtime does not provide? Try runtime = "nodejs")';
    }
    if (e instanceof Error) return (e.name || 'Error') + ': ' + e.message;
    if (typeof e === 'string') return e;
    try { return JSON.stringify(e); } catch (x) { return String(e); }
  }

  // The invocation running now (one at a time per engine). The console,
  // timers and `require` handed to the module are built once per engine and
  // act on it; only the state, `context` and `callback` are per invocation.
  let cur = null;

  // The per-invocation state, created by the Rust side for each invocation:
  // an array (boa creates one without a shape transition per field, unlike
  // an object literal), laid out as `lambda_runtime.rs`'s `slot` constants.
  // `logs` and `timers` are created on first use.
  const DONE = 0; const RESULT = 1; const ERROR = 2; const LOGS = 3; const TIMERS = 4; const SEQ = 5;
  const succeed = (st, v) => { if (!st[DONE]) { st[DONE] = true; st[RESULT] = v; } };
  const fail = (st, e) => { if (!st[DONE]) { st[DONE] = true; st[ERROR] = errorText(e === undefined || e === null ? 'handled rejection with no reason' : e); } };
  // Milliseconds to the next timer, -1 when none is pending.
  const nextTimer = (st) => {
    const timers = st[TIMERS];
    if (timers === null || timers.length === 0) return -1;
    let at = Infinity; for (const t of timers) if (t.at < at) at = t.at;
    return Math.max(0, at - Date.now());
  };
  const fireTimer = (st) => {
    const timers = st[TIMERS];
    if (timers === null || timers.length === 0) return;
    let best = 0; for (let i = 1; i < timers.length; i++) if (timers[i].at < timers[best].at) best = i;
    const t = timers[best];
    if (t.interval === undefined) timers.splice(best, 1); else t.at = Date.now() + t.interval;
    try { t.fn.apply(undefined, t.args); } catch (e) { fail(st, e); }
  };

  const log = (level) => (...args) => { if (cur) (cur[LOGS] || (cur[LOGS] = [])).push(level + '\t' + format(...args)); };
  const timeLabels = new Map();
  const console = Object.freeze({
    log: log('INFO'), info: log('INFO'), debug: log('DEBUG'), trace: log('TRACE'), warn: log('WARN'), error: log('ERROR'),
    dir: (v) => log('INFO')(inspect(v)),
    table: (v) => log('INFO')(inspect(v)),
    assert: (cond, ...args) => { if (!cond) log('ERROR')('Assertion failed' + (args.length ? ': ' + format(...args) : '')); },
    time: (label = 'default') => { timeLabels.set(label, Date.now()); },
    timeLog: (label = 'default', ...args) => { const t = timeLabels.get(label); if (t !== undefined) log('INFO')(label + ': ' + (Date.now() - t) + ' ms', ...args); },
    timeEnd: (label = 'default') => { const t = timeLabels.get(label); if (t !== undefined) { timeLabels.delete(label); log('INFO')(label + ': ' + (Date.now() - t) + ' ms'); } },
  });
  const addTimer = (fn, ms, args, interval) => {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    if (!cur) return 0;
    const id = ++cur[SEQ];
    const delay = Math.max(1, Number(ms) || 0);
    (cur[TIMERS] || (cur[TIMERS] = [])).push({ id, at: Date.now() + delay, fn, args, interval: interval ? delay : undefined });
    return id;
  };
  const setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  const setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  const setImmediate = (fn, ...args) => addTimer(fn, 0, args, false);
  const clearTimeout = (id) => { if (!cur || !cur[TIMERS]) return; const i = cur[TIMERS].findIndex((t) => t.id === id); if (i >= 0) cur[TIMERS].splice(i, 1); };
  let process;
  const started = Date.now();
  // process.hrtime([previous]) -> [seconds, nanoseconds]; process.hrtime.bigint()
  const hrtime = (prev) => {
    const ms = Date.now();
    let sec = Math.floor(ms / 1000); let ns = (ms % 1000) * 1e6;
    if (Array.isArray(prev)) { sec -= prev[0]; ns -= prev[1]; if (ns < 0) { sec -= 1; ns += 1e9; } }
    return [sec, ns];
  };
  hrtime.bigint = () => BigInt(Date.now()) * 1000000n;
  Object.freeze(hrtime);
  const queueMicrotask = (fn) => { if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function'); Promise.resolve().then(fn).catch((e) => { if (cur) fail(cur, e); }); };
  // Modules compiled on first use, once per engine (see `LAZY_MODULES` in lambda_runtime.rs).
  const LAZY = ['crypto', 'path', 'zlib'];
  const LIB = Object.freeze({ native, Buffer, wrap, toBytes, output, setImmediate: (fn, ...args) => setImmediate(fn, ...args) });
  const require = (name) => {
    const n = String(name).replace(/^node:/, '');
    if (n === 'process') return process;
    let m = MODULES[n];
    if (m === undefined && LAZY.includes(n)) {
      m = Object.freeze(native.loadModule(n, LIB));
      MODULES[n] = m;
    }
    if (m === undefined) {
      const e = new Error("Cannot find module '" + name + "' (the embedded runtime provides buffer, crypto, path, process, querystring, url, util and zlib; use runtime = \"nodejs\" for anything else)");
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    }
    return m;
  };

  // The Lambda `context`, built by the Rust side for each invocation:
  // Node.js's own data properties on this frozen prototype, which holds the
  // methods; the invocation state and deadline under these symbols (not
  // enumerable by name, not serialized).
  const ST = Symbol('state');
  const DEADLINE = Symbol('deadline');
  const ContextProto = {
    getRemainingTimeInMillis() { return Math.max(0, this[DEADLINE] - Date.now()); },
    succeed(v) { succeed(this[ST], v); },
    fail(e) { fail(this[ST], e); },
    done(e, v) { if (e !== undefined && e !== null) fail(this[ST], e); else succeed(this[ST], v); },
  };
  Object.freeze(ContextProto);

  // Globals a previous invocation created (`globalThis.x = ...`, implicit
  // globals in sloppy mode) are removed before the next one runs; the Rust
  // side calls this only when the number of global properties changed.
  const BASE_GLOBALS = new Set(Reflect.ownKeys(globalThis));
  const resetGlobals = () => {
    for (const k of Reflect.ownKeys(globalThis)) if (!BASE_GLOBALS.has(k)) delete globalThis[k];
  };

  // One invocation, driven by the Rust side: `begin` makes `st` the current
  // state and returns `process` (made on the first invocation); the Rust
  // side then calls the module factory with `scope`'s values (from Rust: in
  // JS, passing 17 captured bindings costs a runtime name lookup each) and
  // hands `start` the module. `start` returns what the handler returned when
  // it is a thenable, for the Rust side to follow (a settled native promise
  // directly, anything else through `follow`), and `undefined` otherwise.
  const begin = (st, functionName) => {
    cur = st;
    if (process === undefined) {
      process = Object.freeze({ env: Object.freeze({ AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: functionName }), version: 'v20.0.0', versions: Object.freeze({ node: '20.0.0' }), platform: 'linux', nextTick: (fn, ...args) => { Promise.resolve().then(() => fn(...args)); }, hrtime, uptime: () => (Date.now() - started) / 1000 });
    }
    return process;
  };
  const scope = { require, console, setTimeout, clearTimeout, setInterval, clearInterval: clearTimeout, setImmediate, Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa, global: globalThis, queueMicrotask,
    __dirname: '/var/task', __filename: '/var/task/index.js' };
  function start(module, handlerName, event, st, context, functionName) {
    try {
      const exp = module.exports;
      let handler = exp === null || exp === undefined ? undefined : exp[handlerName];
      if (typeof handler !== 'function' && exp && exp.default) handler = exp.default[handlerName];
      if (typeof handler !== 'function') {
        fail(st, new Error('Runtime.HandlerNotFound: ' + functionName + ' does not export a function "' + handlerName + '"'));
        return undefined;
      }
      const callback = (err, res) => (err !== undefined && err !== null ? fail(st, err) : succeed(st, res === undefined ? null : res));
      const r = handler(event, context, callback);
      if (r !== null && typeof r === 'object' && typeof r.then === 'function') return r;
    } catch (e) {
      fail(st, e);
    }
    return undefined;
  }
  // The first of the handler's result and its callback to settle wins.
  const follow = (st, r) => {
    try {
      r.then((v) => succeed(st, v === undefined ? null : v), (e) => fail(st, e));
    } catch (e) {
      fail(st, e);
    }
  };
  return { begin, scope, start, follow, fail, nextTimer, fireTimer, resetGlobals, ContextProto, ST, DEADLINE };
})
