// JSON.parse, JSON.stringify and Array.prototype.toString for both runtimes,
// evaluated once per realm before the runtime's prelude (see nesting.rs).
// Called as (parse, nesting, errors): the native parse, the native nesting
// check (0 fine, 1 too deep, 2 cyclic) and the errors to throw.
(function (parseNative, nesting, errors) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, toString = Array.prototype.toString;
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
    }
  };
  var define = function (o, name) {
    Object.defineProperty(o, name, { value: methods[name], writable: true, enumerable: false, configurable: true });
  };
  define(JSON, 'parse');
  define(JSON, 'stringify');
  define(Array.prototype, 'toString');
})
