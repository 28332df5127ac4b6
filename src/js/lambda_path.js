// The embedded Lambda@Edge runtime's `path` module, evaluated on the
// first `require('path')` of an engine (keeps engine start-up small).
// `lib` holds the prelude's shared helpers.
(function (lib) {
  'use strict';
  // === path (posix) ===
  const cwd = () => '/var/task';
  const path = {
    sep: '/',
    delimiter: ':',
    basename(p, ext) { let b = String(p).replace(/\/+$/, ''); b = b.slice(b.lastIndexOf('/') + 1); if (ext && b.endsWith(ext) && b !== ext) b = b.slice(0, -ext.length); return b; },
    dirname(p) { p = String(p); if (p === '') return '.'; const abs = p.startsWith('/'); p = p.replace(/\/+$/, ''); const i = p.lastIndexOf('/'); if (i < 0) return abs ? '/' : '.'; const d = p.slice(0, i).replace(/\/+$/, ''); return d === '' ? '/' : d; },
    extname(p) { const b = path.basename(p); const i = b.lastIndexOf('.'); return i <= 0 ? '' : b.slice(i); },
    normalize(p) { p = String(p); if (p === '') return '.'; const abs = p.startsWith('/'); const trailing = p.endsWith('/'); const out = []; for (const s of p.split('/')) { if (s === '' || s === '.') continue; if (s === '..') { if (out.length && out[out.length - 1] !== '..') out.pop(); else if (!abs) out.push('..'); } else out.push(s); } let r = (abs ? '/' : '') + out.join('/'); if (r === '') return abs ? '/' : '.'; if (trailing && r !== '/') r += '/'; return r; },
    join(...parts) { for (const x of parts) if (typeof x !== 'string') throw new TypeError('The "path" argument must be of type string'); const j = parts.filter((x) => x !== '').join('/'); return j ? path.normalize(j) : '.'; },
    isAbsolute(p) { return String(p).startsWith('/'); },
    resolve(...parts) {
      let r = '';
      for (let i = parts.length - 1; i >= 0 && !r.startsWith('/'); i--) { const x = String(parts[i]); if (x) r = r ? x + '/' + r : x; }
      if (!r.startsWith('/')) r = cwd() + (r ? '/' + r : '');
      const n = path.normalize(r);
      return n.length > 1 ? n.replace(/\/+$/, '') : n;
    },
    relative(from, to) {
      const a = path.resolve(from).split('/').filter(Boolean);
      const b = path.resolve(to).split('/').filter(Boolean);
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      return a.slice(i).map(() => '..').concat(b.slice(i)).join('/');
    },
    parse(p) {
      p = String(p);
      const root = p.startsWith('/') ? '/' : '';
      const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
      const base = trimmed === '/' ? '' : trimmed.slice(trimmed.lastIndexOf('/') + 1);
      const i = base.lastIndexOf('.');
      const ext = i <= 0 ? '' : base.slice(i);
      let dir = trimmed.slice(0, trimmed.length - base.length).replace(/\/+$/, '');
      if (dir === '' && root) dir = '/';
      return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
    },
    format(o) {
      const dir = o.dir || o.root || '';
      const base = o.base || ((o.name || '') + (o.ext ? (o.ext.startsWith('.') ? '' : '.') + o.ext : ''));
      if (!dir) return base;
      return dir === o.root ? dir + base : dir + '/' + base;
    },
    toNamespacedPath(p) { return p; },
  };
  path.posix = path;
  return path;
})
