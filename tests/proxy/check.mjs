// Checks roundtable-server behind a TLS-terminating reverse proxy, as a browser
// and an SDK would reach it: the web client over https, a wss:// hello with no
// Origin, with the proxy's own Origin (allowed: the proxy keeps the Host header)
// and with a foreign Origin (403 at the upgrade), every certificate verified
// against the test's own CA. Usage: node check.mjs BASE_URL CA_FILE, with
// BASE_URL like https://roundtable.test:PORT: the name is not localhost (the
// server allows any localhost Origin, which would hide a lost Host header) and
// resolves to 127.0.0.1 here. Exits non-zero with the reason.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import WebSocket from '../../web-client/node_modules/ws/wrapper.mjs';

const [base, caFile] = process.argv.slice(2);
const ca = readFileSync(caFile);
const lookup = (_host, opts, cb) =>
  opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
const wsBase = base.replace(/^https:/, 'wss:');

function get(path) {
  return new Promise((resolve, reject) => {
    https
      .get(base + path, { ca, lookup }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

// Opens /ws with `origin` (or none) and says hello; resolves with the reply,
// or with {refused: status} when the upgrade is refused.
function hello(origin) {
  return new Promise((resolve, reject) => {
    const headers = origin ? { Origin: origin } : {};
    const ws = new WebSocket(wsBase + '/ws', { ca, lookup, headers });
    const timer = setTimeout(() => reject(new Error('no reply within 10 s')), 10000);
    ws.on('unexpected-response', (req, res) => {
      clearTimeout(timer);
      // The refused upgrade's response stays open on a keep-alive proxy link.
      req.destroy();
      resolve({ refused: res.statusCode });
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('open', () => ws.send(JSON.stringify({ op: 'hello', rid: 1, name: 'Via proxy' })));
    ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) {
        const m = JSON.parse(line);
        if (m.type === 'reply' && m.rid === 1) {
          clearTimeout(timer);
          ws.close();
          resolve(m);
        }
      }
    });
  });
}

function expect(cond, what) {
  if (!cond) {
    console.error(`proxy check (${base}): ${what}`);
    process.exit(1);
  }
}

const page = await get('/');
expect(page.status === 200 && /<html/i.test(page.body), `GET / answered ${page.status}`);
const ready = await get('/readyz');
expect(ready.status === 200, `/readyz answered ${ready.status}`);
const plain = await hello(null);
expect(plain.ok === true && plain.you && plain.you.id, `hello without Origin: ${JSON.stringify(plain)}`);
const own = await hello(base);
expect(own.ok === true, `hello with the proxy's own Origin: ${JSON.stringify(own)}`);
const foreign = await hello('https://evil.example');
expect(foreign.refused === 403, `a foreign Origin was not refused with 403: ${JSON.stringify(foreign)}`);
console.log(`proxy check (${base}): page, readyz, wss hello, own Origin allowed, foreign Origin 403`);
// Sockets a proxy keeps alive must not keep the check running.
process.exit(0);
