// Deep-freeze everything reachable from the global object and the hidden
// intrinsics, once per realm, so that nothing mutable is shared between
// invocations (js-engine-notes §4, design R3). Run after the prelude.
// Called as (extraRoots, retired): an array of objects to freeze as well,
// and [holder, name] pairs of built-ins the runtime does not have, removed
// before the walk (after this function has taken what it uses itself).
(function (extraRoots, retired) {
  'use strict';
  var ownKeys = Reflect.ownKeys;
  // The "override mistake": on a frozen prototype, `o.toString = f` would fail.
  // As SES does, turn the commonly overridden properties into accessors whose
  // setter defines an own data property on the receiver.
  function tame(proto, name) {
    var desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc || !('value' in desc)) return;
    var value = desc.value;
    Object.defineProperty(proto, name, {
      configurable: false,
      enumerable: desc.enumerable,
      get: function () { return value; },
      set: function (v) {
        if (this === proto) throw new TypeError('Cannot assign to read only property \'' + String(name) + '\'');
        Object.defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      }
    });
  }
  ['toString', 'valueOf', 'constructor', 'hasOwnProperty', 'toLocaleString', 'isPrototypeOf',
   'propertyIsEnumerable'].forEach(function (n) { tame(Object.prototype, n); });
  ['name', 'message', 'toString', 'constructor'].forEach(function (n) { tame(Error.prototype, n); });
  ['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
   'InternalError', 'MemoryError'].forEach(function (c) {
    if (!globalThis[c]) return;
    ['name', 'message', 'constructor'].forEach(function (n) { tame(globalThis[c].prototype, n); });
  });
  ['toString', 'constructor'].forEach(function (n) { tame(Function.prototype, n); });
  tame(Array.prototype, 'constructor');
  tame(Array.prototype, 'toString');
  tame(Promise.prototype, 'then');
  tame(Promise.prototype, 'constructor');

  var seen = new Set();
  var queue = [];
  function add(o) {
    if ((typeof o === 'object' && o !== null) || typeof o === 'function') {
      if (!seen.has(o)) { seen.add(o); queue.push(o); }
    }
  }
  add(globalThis);
  // Hidden intrinsics not reachable by name.
  add(Object.getPrototypeOf(function* () {}));
  add(Object.getPrototypeOf(async function () {}));
  add(Object.getPrototypeOf(async function* () {}));
  add(Object.getPrototypeOf(Int8Array));
  add(Object.getPrototypeOf([][Symbol.iterator]()));
  add(Object.getPrototypeOf(new Map()[Symbol.iterator]()));
  add(Object.getPrototypeOf(new Set()[Symbol.iterator]()));
  add(Object.getPrototypeOf(''[Symbol.iterator]()));
  add(Object.getPrototypeOf(/a/[Symbol.matchAll]('a')));
  add(Object.getOwnPropertyDescriptor(Function.prototype, 'caller') ?
      Object.getOwnPropertyDescriptor(Function.prototype, 'caller').get : undefined);
  for (var r = 0; r < extraRoots.length; r++) add(extraRoots[r]);
  // Retired built-ins keep their property, set to undefined: deleting
  // properties of the engine's prototypes (Array.prototype) corrupts a
  // second realm's property lookups in boa 0.22.
  for (var n = 0; n < retired.length; n++) {
    Object.defineProperty(retired[n][0], retired[n][1], { value: undefined });
  }
  while (queue.length > 0) {
    var o = queue.pop();
    add(Object.getPrototypeOf(o));
    var keys = ownKeys(o);
    for (var i = 0; i < keys.length; i++) {
      var d = Object.getOwnPropertyDescriptor(o, keys[i]);
      if (d === undefined) continue;
      if ('value' in d) add(d.value);
      add(d.get);
      add(d.set);
    }
    Object.freeze(o);
  }
  return seen.size;
})
