// JSON.parse and JSON.stringify, Array.prototype's toString, join,
// toLocaleString and flat, Proxy and the prototype setters, for both
// runtimes, evaluated once per realm before the runtime's prelude (see
// nesting.rs).
// Called as (parse, nesting, errors): the native parse, the native nesting
// check (value[, depth]: 0 fine, 1 deeper than depth, by default the
// runtime's JSON depth, 2 cyclic, 3 not knowable without running code: a
// getter, a proxy or a toJSON, 4 an array longer than errors.maxLength) and
// the errors to throw, with the depth the written-out stringify accepts.
(function (parseNative, nesting, errors) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, toString = Array.prototype.toString;
  var join = Array.prototype.join;
  var flat = Array.prototype.flat, isArray = Array.isArray, keys = Object.keys;
  var deep = function () { return new errors.deep[0](errors.deep[1]); };
  var cycle = function () { return new errors.cycle[0](errors.cycle[1]); };
  // JSON.stringify as ECMA-262 writes it (SerializeJSONProperty), for values
  // whose nesting only shows while they are serialized: its recursion is
  // JavaScript's, bounded by errors.depth and the engine's recursion limit,
  // not the native stack's. Strings are quoted by the engine's own.
  function writtenOut(value, replacer, space) {
    var fn = typeof replacer === 'function' ? replacer : undefined, list;
    if (!fn && isArray(replacer)) {
      list = [];
      for (var r = 0; r < replacer.length; r++) {
        var item = replacer[r];
        if (typeof item === 'number' || item instanceof Number || item instanceof String) item = String(item);
        if (typeof item === 'string' && list.indexOf(item) < 0) list.push(item);
      }
    }
    if (space instanceof Number) space = Number(space);
    else if (space instanceof String) space = String(space);
    var gap = typeof space === 'number' ? ' '.repeat(Math.min(10, Math.max(0, Math.trunc(space) || 0)))
      : typeof space === 'string' ? space.slice(0, 10) : '';
    var stack = [], indent = '';
    function property(holder, key) {
      var v = holder[key];
      if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') {
        var toJSON = v.toJSON;
        if (typeof toJSON === 'function') v = toJSON.call(v, key);
      }
      if (fn) v = fn.call(holder, key, v);
      if (typeof v === 'object' && v !== null) {
        if (v instanceof Number) v = Number(v);
        else if (v instanceof String) v = String(v);
        else if (v instanceof Boolean) v = v.valueOf();
      }
      if (v === null) return 'null';
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      if (typeof v === 'string') return stringify(v);
      if (typeof v === 'number') return isFinite(v) ? String(v) : 'null';
      if (typeof v === 'bigint') return stringify(v);
      if (typeof v !== 'object') return undefined;
      if (stack.indexOf(v) >= 0) throw cycle();
      if (stack.length >= errors.depth) throw deep();
      stack.push(v);
      var outer = indent, parts = [], open, close;
      indent += gap;
      if (isArray(v)) {
        if (v.length > errors.maxLength) throw new RangeError('Invalid string length');
        for (var i = 0, n = v.length; i < n; i++) {
          var e = property(v, String(i));
          parts.push(e === undefined ? 'null' : e);
        }
        open = '['; close = ']';
      } else {
        var names = list || keys(v);
        for (var j = 0; j < names.length; j++) {
          var s = property(v, names[j]);
          if (s !== undefined) parts.push(stringify(names[j]) + (gap ? ': ' : ':') + s);
        }
        open = '{'; close = '}';
      }
      stack.pop();
      indent = outer;
      if (parts.length === 0) return open + close;
      if (!gap) return open + parts.join(',') + close;
      return open + '\n' + indent + gap + parts.join(',\n' + indent + gap) + '\n' + indent + close;
    }
    return property({ '': value }, '');
  }
  var methods = {
    parse(text, reviver) {
      var v = parseNative(text);
      return typeof reviver === 'function' ? parse(text, reviver) : v;
    },
    stringify(value, replacer, space) {
      if (typeof value === 'object' && value !== null) {
        var n = typeof replacer === 'function' ? 3 : nesting(value);
        if (n === 1) throw deep();
        if (n === 2) throw cycle();
        if (n === 3) return writtenOut(value, replacer, space);
        if (n === 4) throw new RangeError('Invalid string length');
      }
      return stringify(value, replacer, space);
    },
    // A JavaScript frame per level of a nested array's join, so that boa's
    // recursion limit bounds it.
    toString() {
      return toString.call(this);
    },
    // join too, as an array's own `toString` may be `join` itself; an
    // array-like too long for any string is refused before the native walk.
    join(separator) {
      var n = Number(Object(this).length);
      if (n > errors.maxLength) throw new RangeError('Invalid string length');
      return join.call(this, separator);
    },
    // Written out (boa's joins with ', ', V8 and njs with ','): a
    // JavaScript frame per level as well.
    toLocaleString() {
      var o = Object(this), n = Math.min(Math.max(Math.trunc(Number(o.length)) || 0, 0), 9007199254740991);
      var out = '';
      for (var i = 0; i < n; i++) {
        if (i > 0) out += ',';
        var e = o[i];
        if (e !== undefined && e !== null) out += String(e.toLocaleString());
      }
      return out;
    },
    // Flattening recurses natively once per level flattened: past the
    // runtime's depth, a RangeError, as an engine out of stack throws.
    flat() {
      var depth = arguments.length > 0 && arguments[0] !== undefined ? Number(arguments[0]) : 1;
      if (depth > 1 && nesting(this, 5000) === 1) throw new RangeError('Maximum call stack size exceeded');
      return flat.apply(this, arguments);
    }
  };
  var define = function (o, name) {
    Object.defineProperty(o, name, { value: methods[name], writable: true, enumerable: false, configurable: true });
  };
  // Property lookup follows the prototype chain natively, through a proxy
  // to its target: a prototype cycle through a proxy
  // (Object.setPrototypeOf(o, new Proxy(o, {}))) would recurse without end.
  // Proxies made by the Proxy constructor are remembered with their target,
  // and setting a prototype that leads back to the object through one is a
  // TypeError, as an ordinary cycle is.
  if (typeof Proxy === 'function') {
    var RealProxy = Proxy, targets = new WeakMap(), getPrototypeOf = Object.getPrototypeOf;
    var makeProxy = function (target, handler) {
      if (new.target === undefined) throw new TypeError("Constructor Proxy requires 'new'");
      var p = new RealProxy(target, handler);
      targets.set(p, target);
      return p;
    };
    var ProxyCtor = makeProxy.bind(null);
    Object.defineProperty(ProxyCtor, 'name', { value: 'Proxy', configurable: true });
    var revocable = {
      revocable(target, handler) {
        var r = RealProxy.revocable(target, handler);
        targets.set(r.proxy, target);
        return r;
      }
    }.revocable;
    Object.defineProperty(ProxyCtor, 'revocable', { value: revocable, writable: true, enumerable: false, configurable: true });
    Object.defineProperty(globalThis, 'Proxy', { value: ProxyCtor, writable: true, enumerable: false, configurable: true });
    var cyclic = function (o, proto) {
      for (var p = proto, steps = 0; p !== null && (typeof p === 'object' || typeof p === 'function') && steps < 1000000; steps++) {
        if (p === o) return steps > 0;
        p = targets.has(p) ? targets.get(p) : getPrototypeOf(p);
      }
      return false;
    };
    var guard = function (o, proto) {
      if (cyclic(o, proto)) throw new TypeError('Cyclic __proto__ value');
    };
    var setPrototypeOf = Object.setPrototypeOf, reflectSet = Reflect.setPrototypeOf;
    var protoDesc = Object.getOwnPropertyDescriptor(Object.prototype, '__proto__');
    var setters = {
      setPrototypeOf(o, proto) { guard(o, proto); return setPrototypeOf(o, proto); },
      reflectSetPrototypeOf(o, proto) { guard(o, proto); return reflectSet(o, proto); },
      set __proto__(proto) { guard(this, proto); protoDesc.set.call(this, proto); }
    };
    Object.defineProperty(Object, 'setPrototypeOf', { value: setters.setPrototypeOf, writable: true, enumerable: false, configurable: true });
    var rs = setters.reflectSetPrototypeOf;
    Object.defineProperty(rs, 'name', { value: 'setPrototypeOf', configurable: true });
    Object.defineProperty(Reflect, 'setPrototypeOf', { value: rs, writable: true, enumerable: false, configurable: true });
    if (protoDesc && protoDesc.set) {
      var set = Object.getOwnPropertyDescriptor(setters, '__proto__').set;
      Object.defineProperty(Object.prototype, '__proto__', { get: protoDesc.get, set: set, enumerable: false, configurable: true });
    }
  }
  // Not a nesting bound, but shared by both runtimes the same way: boa
  // 0.22's String.prototype.at panics on a large negative index ('a'.at(-1e20)).
  var stringAt = String.prototype.at;
  if (typeof stringAt === 'function') {
    methods.at = function at(index) {
      if (this === null || this === undefined) return stringAt.call(this, 0);
      var n = Math.trunc(Number(index)) || 0;
      return n < -9007199254740991 ? undefined : stringAt.call(this, n);
    };
    define(String.prototype, 'at');
  }
  define(JSON, 'parse');
  define(JSON, 'stringify');
  define(Array.prototype, 'toString');
  define(Array.prototype, 'join');
  define(Array.prototype, 'toLocaleString');
  if (typeof flat === 'function') define(Array.prototype, 'flat');
})
