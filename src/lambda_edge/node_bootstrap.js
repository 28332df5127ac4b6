// cfedge's Node.js Lambda@Edge worker: loads one handler, then runs one
// invocation at a time from JSON lines on stdin and answers with JSON lines
// on stdout, each prefixed with MARK so that anything else the handler
// prints is treated as a log line. Like a warm Lambda container, the module
// stays loaded between invocations.
'use strict';
const readline = require('readline');
const util = require('util');
const { pathToFileURL } = require('url');

const MARK = '\u001ecfedge:';
const write = (msg) => process.stdout.write(MARK + JSON.stringify(msg) + '\n');

let current = null;
const LEVELS = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [name, level] of Object.entries(LEVELS)) {
  console[name] = (...args) => {
    const line = level + '\t' + util.format(...args);
    if (current) current.logs.push(line);
    else process.stderr.write(line + '\n');
  };
}

function errorText(e) {
  if (e instanceof Error) return (e.name || 'Error') + ': ' + e.message;
  if (typeof e === 'string') return e;
  try { return JSON.stringify(e); } catch (x) { return String(e); }
}

function finish(inv, payload) {
  if (inv.done) return;
  inv.done = true;
  clearTimeout(inv.idle);
  if (current === inv) current = null;
  let line;
  try {
    line = { id: inv.id, logs: inv.logs, ...payload };
    write(line);
  } catch (e) {
    write({ id: inv.id, logs: inv.logs, ok: false, error: 'the result cannot be serialized: ' + errorText(e) });
  }
}

process.on('uncaughtException', (e) => {
  if (current) finish(current, { ok: false, error: errorText(e) });
  else process.stderr.write('ERROR\tUncaught ' + errorText(e) + '\n');
});
process.on('unhandledRejection', (e) => {
  if (current) finish(current, { ok: false, error: errorText(e) });
  else process.stderr.write('ERROR\tUnhandled rejection ' + errorText(e) + '\n');
});

// Node.js Lambda answers `null` when a non-async handler lets the event loop
// empty without calling back. Our own stdin/stdout pipes and this poll timer
// are not the handler's. (Not used for a returned promise: work in Node's
// thread pool, such as crypto.subtle or pbkdf2, is not listed as an active
// resource, so a pending promise could be taken for an empty loop.)
function idle() {
  if (typeof process.getActiveResourcesInfo === 'function') {
    // Our own poll timer is listed while its callback runs.
    const busy = process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
    const timers = busy.filter((r) => r === 'Timeout').length;
    return busy.length - Math.min(timers, 1) === 0;
  }
  // Node.js before 17.
  const own = [process.stdin, process.stdout, process.stderr];
  return process._getActiveRequests().length === 0
    && process._getActiveHandles().every((h) => own.includes(h));
}
function watchIdle(inv) {
  if (idle()) { finish(inv, { ok: true, result: null }); return; }
  inv.idle = setTimeout(() => watchIdle(inv), 2);
}

async function main() {
  const file = process.env.CFEDGE_LAMBDA_FILE;
  const name = process.env.CFEDGE_LAMBDA_HANDLER;
  let handler;
  try {
    const mod = /\.mjs$/.test(file) ? await import(pathToFileURL(file).href) : require(file);
    handler = mod && mod[name];
    if (typeof handler !== 'function' && mod && mod.default) handler = mod.default[name];
    if (typeof handler !== 'function') throw new Error('Runtime.HandlerNotFound: ' + file + ' does not export a function "' + name + '"');
  } catch (e) {
    write({ id: 0, ok: false, error: errorText(e), logs: [] });
    return;
  }
  write({ id: 0, ok: true, result: null, logs: [] });
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (text) => {
    let msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    const inv = { id: msg.id, logs: [], done: false, idle: undefined };
    current = inv;
    const deadline = Date.now() + msg.timeoutMs;
    const context = {
      functionName: msg.functionName,
      functionVersion: '1',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + msg.functionName + ':1',
      memoryLimitInMB: '128',
      awsRequestId: msg.requestId,
      logGroupName: '/aws/lambda/us-east-1.' + msg.functionName,
      logStreamName: 'cfedge',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      succeed: (v) => finish(inv, { ok: true, result: v === undefined ? null : v }),
      fail: (e) => finish(inv, { ok: false, error: errorText(e) }),
      done: (e, v) => (e != null ? finish(inv, { ok: false, error: errorText(e) }) : finish(inv, { ok: true, result: v === undefined ? null : v })),
    };
    const callback = (err, res) => (err != null
      ? finish(inv, { ok: false, error: errorText(err) })
      : finish(inv, { ok: true, result: res === undefined ? null : res }));
    try {
      const r = handler(msg.event, context, callback);
      if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
        r.then((v) => finish(inv, { ok: true, result: v === undefined ? null : v }),
          (e) => finish(inv, { ok: false, error: errorText(e == null ? 'handled rejection with no reason' : e) }));
      } else if (!inv.done) {
        inv.idle = setTimeout(() => watchIdle(inv), 2);
      }
    } catch (e) {
      finish(inv, { ok: false, error: errorText(e) });
    }
  });
  rl.on('close', () => process.exit(0));
}

main();
