// JSON.parse, JSON.stringify and Array.prototype.toString for both runtimes,
// evaluated once per realm before the runtime's prelude (see nesting.rs).
// Called as (parse, nesting, errors): the native parse, the native nesting
// check (value[, depth]: 0 fine, 1 deeper than depth, by default the
// runtime's JSON depth, 2 cyclic) and the errors to throw.
(function (parseNative, nesting, errors) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, toString = Array.prototype.toString;
  var flat = Array.prototype.flat;
  var methods = {
    parse(text, reviver) {
      var v = parseNative(text);
      return typeof reviver === 'function' ? parse(text, reviver) : v;
    },
    stringify(value, replacer, space) {
      if (typeof value === 'object' && value !== null) {
        var n = nesting(value);
        if (n === 1) throw new errors.deep[0](errors.deep[1]);
        if (n === 2) throw new errors.cycle[0](errors.cycle[1]);
      }
      return stringify(value, replacer, space);
    },
    // A JavaScript frame per level of a nested array's join, so that boa's
    // recursion limit bounds it.
    toString() {
      return toString.call(this);
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
  define(JSON, 'parse');
  define(JSON, 'stringify');
  define(Array.prototype, 'toString');
  define(Array.prototype, 'toLocaleString');
  if (typeof flat === 'function') define(Array.prototype, 'flat');
})
