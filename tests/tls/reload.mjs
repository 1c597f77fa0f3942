// Checks roundtable-server's own TLS (--tls-cert/--tls-key) on one port:
// a wss:// connection verified against the test's CA; plain ws:// and http://
// to that port refused (the connection closed, no upgrade, no page); and a
// SIGHUP after new files are written serves the new certificate to new
// connections while a connection made before it carries on.
// Usage: node reload.mjs PORT CA_FILE DIR SERVER_PID, where DIR holds the CA's
// ca.key and the server's cert.pem and key.pem. Exits non-zero with the reason.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import WebSocket from '../../web-client/node_modules/ws/wrapper.mjs';

const [port, caFile, dir, pid] = process.argv.slice(2);
const ca = readFileSync(caFile);
const lookup = (_host, opts, cb) =>
  opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);

function expect(cond, what) {
  if (!cond) {
    console.error(`tls check: ${what}`);
    process.exit(1);
  }
}

// A connection that said hello; resolves with {ws, fingerprint, protocol, reply}.
function connect(url, options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ca, lookup, ...options });
    const timer = setTimeout(() => reject(new Error(`${url}: no reply within 10 s`)), 10000);
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('open', () => ws.send(JSON.stringify({ op: 'hello', rid: 1, name: 'Over TLS' })));
    ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) {
        const m = JSON.parse(line);
        if (m.type !== 'reply' || m.rid !== 1) continue;
        clearTimeout(timer);
        const cert = ws._socket.getPeerCertificate();
        resolve({ ws, fingerprint: cert.fingerprint256, protocol: ws._socket.getProtocol(), reply: m });
      }
    });
  });
}

// A ping on an open connection; resolves with its reply.
function ping(ws, rid) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pong within 10 s')), 10000);
    ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) {
        const m = JSON.parse(line);
        if (m.type === 'reply' && m.rid === rid) {
          clearTimeout(timer);
          resolve(m);
        }
      }
    });
    ws.send(JSON.stringify({ op: 'ping', rid }));
  });
}

// What a plain (no TLS) client sees: 'refused' when the server closes the
// connection without a response, else what it got.
function plain(kind) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no answer within 10 s'), 10000);
    const done = (what) => {
      clearTimeout(timer);
      resolve(what);
    };
    if (kind === 'ws') {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.on('open', () => done('upgraded'));
      ws.on('unexpected-response', (_req, res) => done(`HTTP ${res.statusCode}`));
      ws.on('error', () => done('refused'));
    } else {
      http
        .get(`http://127.0.0.1:${port}/readyz`, (res) => done(`HTTP ${res.statusCode}`))
        .on('error', () => done('refused'));
    }
  });
}

function fingerprintOf(file) {
  return new X509Certificate(readFileSync(file)).fingerprint256;
}

const url = `wss://roundtable.test:${port}/ws`;
const before = await connect(url);
expect(before.reply.ok === true, `wss hello: ${JSON.stringify(before.reply)}`);
expect(['TLSv1.2', 'TLSv1.3'].includes(before.protocol), `negotiated ${before.protocol}`);
expect(before.fingerprint === fingerprintOf(`${dir}/cert.pem`), 'served another certificate');
let refused = null;
await connect(url, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }).catch(() => (refused = true));
expect(refused, 'a TLS 1.1 client was let in');
expect((await plain('ws')) === 'refused', 'plain ws:// to the TLS port was not refused');
expect((await plain('http')) === 'refused', 'plain http:// to the TLS port was not refused');

// A new key and certificate from the same CA, then SIGHUP.
execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
  '-subj', '/CN=roundtable.test', '-keyout', `${dir}/key.pem`, '-out', `${dir}/req.csr`], { stdio: 'ignore' });
execFileSync('openssl', ['x509', '-req', '-in', `${dir}/req.csr`, '-CA', caFile, '-CAkey', `${dir}/ca.key`,
  '-CAcreateserial', '-days', '1', '-extfile', `${dir}/san.ext`, '-out', `${dir}/cert.pem`], { stdio: 'ignore' });
const renewed = fingerprintOf(`${dir}/cert.pem`);
expect(renewed !== before.fingerprint, 'the new certificate is the old one');
process.kill(Number(pid), 'SIGHUP');
let after = null;
for (let i = 0; i < 50 && !(after && after.fingerprint === renewed); i++) {
  if (after) after.ws.close();
  await new Promise((r) => setTimeout(r, 100));
  after = await connect(url);
}
expect(after.fingerprint === renewed, 'after SIGHUP new connections still get the old certificate');
expect(after.reply.ok === true, `wss hello after the reload: ${JSON.stringify(after.reply)}`);
const pong = await ping(before.ws, 2);
expect(pong.ok === true, `the connection made before the reload: ${JSON.stringify(pong)}`);
expect(before.ws.readyState === WebSocket.OPEN, 'the connection made before the reload closed');
console.log(`tls check: wss (${before.protocol}) verified, TLS 1.1 and plain ws/http refused, ` +
  'SIGHUP serves the new certificate while an old connection carries on');
process.exit(0);
