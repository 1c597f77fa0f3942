// Starts a real roundtable-server for the JS tests: on a free port (`--port 0`,
// then the `listening on` line tells which), or on a given port to restart one
// in place, with the demo event or one the test gives. Collects the tokens of
// the demo links it prints. The binary comes from env ROUNDTABLE_SERVER or
// ../build/release/server/roundtable-server relative to web-client/.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webClientDir = path.resolve(here, '..', '..');
export const repoRoot = path.resolve(webClientDir, '..');

export function serverBinary() {
  return process.env.ROUNDTABLE_SERVER ||
    path.resolve(webClientDir, '..', 'build', 'release', 'server', 'roundtable-server');
}

export function serverAvailable() {
  try {
    fs.accessSync(serverBinary(), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns the server and resolves once it listens and has printed its tokens:
 * {port, url, wsUrl, chairToken, moderatorTokens {table: jwt}, stop(), output()}.
 * `event`: an event config to start with (an object), written to a file of
 * its own that stop() removes.
 */
export async function startServer({ port = 0, extraArgs = [], event = null, startupMs = 20000 } = {}) {
  const bin = serverBinary();
  const eventDir = event ? fs.mkdtempSync(path.join(os.tmpdir(), 'rt-event-')) : null;
  const eventArgs = [];
  if (eventDir) {
    eventArgs.push('--event', path.join(eventDir, 'event.json'));
    fs.writeFileSync(eventArgs[1], JSON.stringify(event));
  }
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--ephemeral', ...eventArgs, ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const info = {
    port: 0,
    chairToken: null,
    moderatorTokens: {},
    child,
    output: () => log,
  };
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));

  await new Promise((resolve, reject) => {
    let buffered = '';
    let settleTimer = null;
    const timer = setTimeout(() => {
      reject(new Error(`roundtable-server did not start within ${startupMs} ms:\n${log}`));
    }, startupMs);
    const done = () => { clearTimeout(timer); clearTimeout(settleTimer); resolve(); };
    const onData = (chunk) => {
      log += chunk;
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        let m;
        if ((m = /listening on [^\s:]+:(\d+)/.exec(line))) info.port = Number(m[1]);
        else if ((m = /chair link:\s*\S+\?token=(\S+)/.exec(line))) info.chairToken = m[1];
        else if ((m = /moderator link \(([^)]+)\):\s*\S+\?token=(\S+)/.exec(line))) info.moderatorTokens[m[1]] = m[2];
      }
      // The token lines follow the listening line; give them a moment, but do
      // not insist on them (a configured secret prints none).
      if (info.port && info.chairToken && Object.keys(info.moderatorTokens).length >= 3) done();
      else if (info.port && !settleTimer) settleTimer = setTimeout(done, 1500);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    exitPromise.then((e) => {
      if (!info.port) {
        clearTimeout(timer);
        reject(new Error(`roundtable-server exited (${e.code ?? e.signal}) before listening:\n${log}`));
      }
    });
  });

  info.url = `http://127.0.0.1:${info.port}`;
  info.wsUrl = `ws://127.0.0.1:${info.port}/ws`;
  info.stop = async () => {
    if (eventDir) fs.rmSync(eventDir, { recursive: true, force: true });
    if (exited) return exited;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const result = await exitPromise;
    clearTimeout(killer);
    return result;
  };
  return info;
}

/** Restarts on the same port; retries while the old socket is still releasing. */
export async function startServerOnPort(port, attempts = 20) {
  let lastError;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startServer({ port });
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw lastError;
}
