// The setup the SDK tests share: inside a `describe`, one roundtable-server
// started before its tests (no rate limit: they fire ops as fast as they can)
// and stopped after them, and `make` for SDK clients that are closed with it.
// `args` gives more server arguments when the server starts (after the
// describe's own earlier `before` hooks, which may write an event file).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Roundtable } from '../../sdk/roundtable.js';
import { startServer, serverBinary, serverAvailable } from './server.js';

export function sdkServer(args = () => []) {
  const server = {}; // filled in before the tests run
  const clients = [];
  const make = (opts) => {
    const c = new Roundtable({ url: server.wsUrl, WebSocket, name: 'Tester', ...opts });
    clients.push(c);
    return c;
  };
  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()}`);
    Object.assign(server, await startServer({ extraArgs: ['--rate-limit', '0', ...args()] }));
  });
  after(async () => {
    for (const c of clients) c.close();
    if (server.stop) await server.stop();
  });
  return { server, make };
}
