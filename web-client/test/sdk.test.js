// Tests of the JS SDK (sdk/roundtable.js) against a real roundtable-server that
// each suite starts on a free port: hello, join, say, hop with snapshot, error
// codes as RoundtableError, moderator and chair ops, dedupe, and a server
// restart on the same port that the SDK must survive with resume and resync.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import WebSocket from 'ws';
import {
  Roundtable, RoundtableError, backoffDelay, parseBatch, SERVER_ERROR_CODES,
} from '../sdk/roundtable.js';
import { startServer, startServerOnPort, serverBinary, serverAvailable } from './support/server.js';

const DEMO_TABLES = ['synergies', 'big-data', 'inclusiveness'];

// Signals are delivered asynchronously: wait until the kernel shows the process stopped.
async function untilStopped(pid) {
  for (let i = 0; i < 200; i++) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) [Tt] /.test(stat)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} did not stop`);
}

function client(server, opts = {}) {
  return new Roundtable({ url: server.wsUrl, WebSocket, name: 'Tester', ...opts });
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof RoundtableError, `expected RoundtableError, got ${err}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

describe('SDK pure helpers', () => {
  it('splits batched server messages on newlines', () => {
    const objs = parseBatch('{"type":"a"}\n{"type":"b","x":1}\n\n');
    assert.deepEqual(objs, [{ type: 'a' }, { type: 'b', x: 1 }]);
  });

  it('backoff uses full jitter under an exponential ceiling and a cap', () => {
    assert.equal(backoffDelay(0, 250, 10000, () => 0.999), 249);
    assert.equal(backoffDelay(3, 250, 10000, () => 0.5), 1000);
    assert.equal(backoffDelay(20, 250, 10000, () => 0.999), 9990);
    assert.equal(backoffDelay(5, 250, 10000, () => 0), 0);
  });

  it('needs a WebSocket implementation outside the browser', () => {
    assert.throws(() => new Roundtable({ url: 'ws://127.0.0.1:1/ws' }), /WebSocket/);
  });
});

describe('SDK against roundtable-server', { timeout: 120000 }, () => {
  let server;
  const clients = [];
  const make = (opts) => {
    const c = client(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()} (set ROUNDTABLE_SERVER)`);
    server = await startServer();
  });

  after(async () => {
    for (const c of clients) c.close();
    if (server) await server.stop();
  });

  it('connects, says hello and gets the event, tables and plenary snapshot', async () => {
    const a = make({ name: 'Alice' });
    const states = [];
    a.on('state', (s) => states.push(s.state));
    const reply = await a.connect();
    assert.equal(reply.ok, true);
    assert.equal(reply.you.name, 'Alice');
    assert.equal(reply.you.role, 'participant');
    assert.ok(reply.you.id);
    assert.equal(reply.event.title, 'OpenGoV Co-production & Co-creation');
    assert.deepEqual(reply.tables.map((t) => t.id).sort(), [...DEMO_TABLES].sort());
    const syn = reply.tables.find((t) => t.id === 'synergies');
    assert.equal(syn.topic, 'Synergies and sustainability');
    assert.equal(typeof reply.plenary.epoch, 'number');
    assert.equal(typeof reply.plenary.seq, 'number');
    assert.deepEqual(states, ['connecting', 'open']);
    assert.equal(a.state, 'open');
    assert.deepEqual(a.rooms.get('plenary'), { epoch: reply.plenary.epoch, seq: reply.plenary.seq });
    await a.ping();
  });

  it('joins a table, says something and every member receives it once', async () => {
    const a = make({ name: 'Ada' });
    const b = make({ name: 'Bob' });
    await a.connect();
    await b.connect();
    const joinA = await a.join('synergies');
    assert.equal(joinA.snapshot.room, 'synergies');
    assert.ok(joinA.snapshot.participants.some((p) => p.name === 'Ada'));
    const sawBob = a.waitFor('presence', (ev) => ev.room === 'synergies' && ev.joined && ev.joined.name === 'Bob');
    await b.join('synergies');
    await sawBob;

    const gotA = [];
    const gotB = [];
    a.on('message', (ev) => gotA.push(ev));
    b.on('message', (ev) => gotB.push(ev));
    const bReceives = b.waitFor('message', (ev) => ev.text === 'hello table');
    await a.say('synergies', 'hello table');
    const ev = await bReceives;
    assert.equal(ev.room, 'synergies');
    assert.equal(ev.from.name, 'Ada');
    assert.equal(ev.from.role, 'participant');
    assert.ok(ev.id);
    assert.equal(typeof ev.ts, 'number');
    assert.equal(ev.seq, b.rooms.get('synergies').seq);
    await a.ping(); // the sender's own copy arrives before the reply to a later op
    assert.equal(gotA.filter((m) => m.text === 'hello table').length, 1);

    // The SDK drops an event it has already seen (a replay overlap).
    b._onMessage(JSON.stringify(ev));
    assert.equal(gotB.filter((m) => m.text === 'hello table').length, 1);
  });

  it('hops to another table and gets its snapshot; the old table sees the leave', async () => {
    const a = make({ name: 'Hopper' });
    const b = make({ name: 'Stayer' });
    const c = make({ name: 'Writer' });
    await Promise.all([a.connect(), b.connect(), c.connect()]);
    await c.join('big-data');
    await c.say('big-data', 'big data needs open standards');
    await b.join('inclusiveness');
    await a.join('inclusiveness');

    const left = b.waitFor('presence', (ev) => ev.room === 'inclusiveness' && ev.left === a.you.id);
    const snapshots = [];
    a.on('snapshot', (s) => snapshots.push(s));
    const reply = await a.join('big-data');
    await left;
    const snap = reply.snapshot;
    assert.equal(snap.room, 'big-data');
    assert.equal(snap.topic, 'Big data for open governance');
    assert.ok(snap.messages.some((m) => m.text === 'big data needs open standards'));
    assert.ok(snap.participants.some((p) => p.name === 'Writer'));
    assert.ok(snap.participants.some((p) => p.name === 'Hopper'));
    assert.equal(a.table, 'big-data');
    assert.equal(a.rooms.has('inclusiveness'), false);
    assert.deepEqual(snapshots.map((s) => [s.room, s.cause]), [['big-data', 'join']]);
  });

  it('a gap in a table\'s seq makes the SDK re-join for a fresh snapshot', async () => {
    const a = make({ name: 'Gapped' });
    await a.connect();
    await a.join('inclusiveness');
    const pos = a.rooms.get('inclusiveness');
    const gap = a.waitFor('gap');
    const resync = a.waitFor('resync', (r) => r.room === 'inclusiveness');
    // As if the event at pos.seq + 1 had been lost on the way.
    a._onMessage(JSON.stringify({ type: 'message', room: 'inclusiveness', seq: pos.seq + 2, epoch: pos.epoch,
                                  id: 'phantom', from: { id: 'x', name: 'X', role: 'participant' }, text: 'x', ts: 1 }));
    assert.equal((await gap).expected, pos.seq + 1);
    const r = await resync;
    assert.equal(r.snapshot.room, 'inclusiveness');
    assert.ok(!r.snapshot.messages.some((m) => m.id === 'phantom'));
    assert.deepEqual(a.rooms.get('inclusiveness'), { epoch: r.snapshot.epoch, seq: r.snapshot.seq });
  });

  it('surfaces server errors as RoundtableError with the protocol code', async () => {
    const p = make({ name: 'Pat' });
    await p.connect();
    await rejectsWith(p.join('no-such-table'), 'not_found');
    await rejectsWith(p.broadcast('hi all'), 'forbidden');
    await rejectsWith(p.phase('networking'), 'forbidden');
    await rejectsWith(p.say('synergies', 'not a member'), 'forbidden');
    // `hand` is for "anyone at a table": with no table the place does not allow it.
    await rejectsWith(p.hand(true), 'forbidden');
    await p.join('synergies');
    await rejectsWith(p.delete('synergies', 'whatever'), 'forbidden');
    await rejectsWith(p.summary('my summary', true), 'forbidden');
    await rejectsWith(p.insight('x'.repeat(501)), 'too_large');
    await rejectsWith(p.vote('no-such-insight'), 'not_found');
    await rejectsWith(p.request('no_such_op'), 'bad_request');
    for (const code of ['not_found', 'forbidden', 'too_large', 'bad_request']) {
      assert.ok(SERVER_ERROR_CODES.includes(code));
    }
  });

  it('a refused token rejects connect() with unauthorized and stops', async () => {
    const bad = make({ name: 'Mallory', token: 'not.a.jwt' });
    await rejectsWith(bad.connect(), 'unauthorized');
    assert.equal(bad.state, 'closed');
  });

  it('a guest keeps its guest token: the same person comes back; a refused one is replaced', async () => {
    const first = make({ name: 'Gina' });
    const tokens = [];
    first.on('guest_token', (ev) => tokens.push(ev.token));
    const hello = await first.connect();
    assert.ok(hello.token && tokens[0] === hello.token);
    assert.equal(first.token, hello.token);
    first.close();
    const again = make({ name: 'Not Gina', guestToken: hello.token });
    const back = await again.connect();
    assert.equal(back.you.id, hello.you.id);
    assert.equal(back.you.name, 'Gina');
    // A token the server cannot verify (expired, or another server's) is dropped
    // for a fresh guest identity instead of failing the connection.
    const stale = make({ name: 'Hugo', guestToken: `${hello.token.slice(0, -4)}AAAA` });
    const fresh = await stale.connect();
    assert.notEqual(fresh.you.id, hello.you.id);
    assert.equal(stale.token, fresh.token);
    assert.equal(stale.state, 'open');
  });

  it('a vote is taken back with vote(id, false)', async () => {
    const a = make({ name: 'Voter' });
    await a.connect();
    await a.join('inclusiveness');
    const made = a.waitFor('insight', (ev) => ev.text === 'Take-back test');
    await a.insight('Take-back test');
    const ins = await made;
    const up = a.waitFor('insight', (ev) => ev.id === ins.id && ev.votes === 1);
    await a.vote(ins.id);
    await up;
    await rejectsWith(a.vote(ins.id), 'forbidden');
    const down = a.waitFor('insight', (ev) => ev.id === ins.id && ev.votes === 0);
    await a.vote(ins.id, false);
    await down;
    await a.leave();
  });

  it('a request with no reply in time rejects with timeout', async (t) => {
    const a = make({ name: 'Patient', timeout: 300 });
    await a.connect();
    // Freeze the real server so the ping goes unanswered, then thaw it.
    server.child.kill('SIGSTOP');
    await untilStopped(server.child.pid);
    try {
      await rejectsWith(a.ping(), 'timeout');
    } finally {
      server.child.kill('SIGCONT');
    }
    a.timeout = 10000;
    await a.ping();
  });

  it('moderator and chair ops reach the table and the plenary', async () => {
    assert.ok(server.chairToken, 'server printed no chair token');
    assert.ok(server.moderatorTokens.synergies, 'server printed no moderator token for synergies');
    const mod = make({ name: 'Mod', token: server.moderatorTokens.synergies });
    const chair = make({ name: 'Chair', token: server.chairToken });
    const part = make({ name: 'Quinn' });
    const far = make({ name: 'Farah' });
    const modHello = await mod.connect();
    assert.equal(modHello.you.role, 'moderator');
    assert.equal((await chair.connect()).you.role, 'chair');
    await part.connect();
    await far.connect();
    await mod.join('synergies');
    await part.join('synergies');
    await far.join('inclusiveness');

    // Delete a message: everyone at the table gets `deleted`, the snapshot no longer has it.
    const said = part.waitFor('message', (ev) => ev.text === 'off-topic: football');
    await part.say('synergies', 'off-topic: football');
    const msg = await said;
    const deleted = part.waitFor('deleted', (ev) => ev.message === msg.id);
    await mod.delete('synergies', msg.id);
    assert.equal((await deleted).room, 'synergies');
    const again = make({ name: 'Late' });
    await again.connect();
    const late = await again.join('synergies');
    assert.ok(!late.snapshot.messages.some((m) => m.id === msg.id));

    // Hands, insight and vote, timer.
    const hands = mod.waitFor('hands', (ev) => ev.queue.some((q) => q.name === 'Quinn'));
    await part.hand(true);
    await hands;
    const floor = part.waitFor('hands', (ev) => ev.speaker && ev.speaker.name === 'Quinn');
    await mod.speaker('synergies', 'next');
    await floor;
    const ins = mod.waitFor('insight', (ev) => ev.text === 'share data across regions');
    await part.insight('share data across regions');
    const insight = await ins;
    const voted = part.waitFor('insight', (ev) => ev.id === insight.id && ev.votes === 1);
    await mod.vote(insight.id);
    await voted;
    const timer = part.waitFor('timer', (ev) => ev.room === 'synergies');
    await mod.timer('synergies', 120);
    const tev = await timer;
    assert.equal(tev.seconds, 120);
    assert.ok(tev.ends_at > Date.now());

    // Summary: a draft the moderator alone receives (no seq), then published
    // to the table and the plenary everyone sees.
    const draft = mod.waitFor('summary', (ev) => ev.text === 'Draft: synergies matter');
    let leaked = null;
    part.on('summary', (ev) => { if (!ev.published) leaked = ev; });
    await mod.summary('Draft: synergies matter', false);
    const dev = await draft;
    assert.equal(dev.seq, undefined);
    assert.equal(dev.by.id, mod.you.id);
    const published = part.waitFor('summary', (ev) => ev.published);
    const report = far.waitFor('report', (ev) => ev.table === 'synergies');
    await mod.summary('Synergies need shared data.', true);
    const rep = await report;
    assert.equal((await published).text, 'Synergies need shared data.');
    assert.equal(leaked, null);
    assert.equal(rep.room, 'plenary');
    assert.equal(rep.text, 'Synergies need shared data.');
    assert.equal(rep.topic, 'Synergies and sustainability');

    // Chair: broadcast and phase reach everyone, wherever they sit.
    const bcast = Promise.all([part, far, mod].map((c) => c.waitFor('broadcast', (ev) => ev.text === 'Coffee in 5 minutes')));
    await chair.broadcast('Coffee in 5 minutes');
    await bcast;
    const phase = far.waitFor('phase', (ev) => ev.name === 'reports');
    await chair.phase('reports');
    await phase;
    assert.equal(far.event.phase, 'reports');

    // Close a table: the lobby shows it closed, a participant can no longer join it; reopen.
    await chair.setTableOpen('big-data', false);
    await far.waitFor('tables', () => far.tables.find((x) => x.id === 'big-data').open === false)
      .catch(() => assert.equal(far.tables.find((x) => x.id === 'big-data').open, false));
    await rejectsWith(far.join('big-data'), 'forbidden');
    await chair.setTableOpen('big-data', true);

    // The session report over HTTP, with the chair token only.
    const md = await fetch(`${server.url}/api/report.md`, { headers: { Authorization: `Bearer ${server.chairToken}` } });
    assert.equal(md.status, 200);
    assert.match(await md.text(), /Synergies need shared data\./);
    const json = await fetch(`${server.url}/api/report`, { headers: { Authorization: `Bearer ${server.chairToken}` } });
    assert.equal(json.status, 200);
    await json.json();
    const anon = await fetch(`${server.url}/api/report.md`);
    assert.ok(anon.status === 401 || anon.status === 403, `report without a token gave ${anon.status}`);
  });

  // PROTOCOL.md: `table` is a room event of the table (its members are told);
  // everyone else sees `open` in the next `tables` lobby update.
  it('closing a table tells its members and updates the lobby', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    const member = make({ name: 'Member' });
    const far = make({ name: 'Far' });
    await chair.connect();
    await member.connect();
    await far.connect();
    await member.join('synergies');
    const told = member.waitFor('table', (ev) => ev.table === 'synergies' && ev.open === false, 3000);
    const lobby = far.waitFor('tables', (ev) => ev.tables.some((t) => t.id === 'synergies' && t.open === false), 3000);
    await chair.setTableOpen('synergies', false);
    try {
      const ev = await told;
      assert.equal(ev.room, 'synergies');
      assert.equal(typeof ev.seq, 'number');
      await lobby;
    } finally {
      await chair.setTableOpen('synergies', true);
    }
  });

  it('close() rejects pending ops and stops reconnecting', async () => {
    const a = make({ name: 'Closer' });
    await a.connect();
    const pending = a.ping();
    a.close();
    await rejectsWith(pending, 'closed');
    assert.equal(a.state, 'closed');
    await rejectsWith(a.say('plenary', 'x'), 'closed');
    await rejectsWith(a.connect(), 'closed');
  });
});

describe('SDK across a server restart', { timeout: 120000 }, () => {
  let server;
  const clients = [];

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()} (set ROUNDTABLE_SERVER)`);
    server = await startServer();
  });

  after(async () => {
    for (const c of clients) c.close();
    if (server) await server.stop();
  });

  it('reconnects with backoff, resumes, resyncs and re-joins its table', async () => {
    const a = new Roundtable({ url: server.wsUrl, WebSocket, name: 'Resilient', backoffBase: 100, backoffCap: 1000 });
    const b = new Roundtable({ url: server.wsUrl, WebSocket, name: 'Witness' });
    clients.push(a, b);
    await a.connect();
    await b.connect();
    await a.join('synergies');
    const own = a.waitFor('message', (ev) => ev.text === 'before the restart');
    await a.say('synergies', 'before the restart');
    await own;
    const before = { ...a.rooms.get('synergies') };
    assert.ok(before.seq >= 1);

    const states = [];
    a.on('state', (s) => states.push(s.state));
    const hellos = [];
    a.on('resume', (r) => hellos.push(r));
    const resyncs = [];
    a.on('resync', (r) => resyncs.push(r));
    const reopened = a.waitFor('open', () => true, 30000);
    // Seated again by the hello (the server may hold the seat) or by a re-join.
    const rejoined = a.waitFor('resync', (s) => s.room === 'synergies', 30000);

    const port = server.port;
    await server.stop();
    await a.waitFor('reconnecting', () => true, 5000);
    await rejectsWith(a.ping(), 'disconnected');
    server = await startServerOnPort(port);
    await reopened;
    await rejoined;

    // The hello carried the positions it had seen.
    assert.equal(hellos.length >= 1, true);
    const resume = hellos[hellos.length - 1].rooms;
    assert.ok(resume, 'hello after reconnect has resume');
    assert.deepEqual(resume.synergies, before);
    assert.ok(resume.plenary);
    // An --ephemeral server starts a new epoch: nothing to replay, so resync.
    assert.ok(resyncs.some((r) => r.room === 'plenary'), 'resync for the plenary');
    assert.ok(resyncs.some((r) => r.room === 'synergies'), 'resync for the table');
    assert.equal(a.table, 'synergies');
    assert.ok(states.includes('reconnecting'));
    assert.equal(a.state, 'open');

    // And it works again: b joins the restarted server and they talk.
    if (b.state !== 'open') await b.waitFor('open', () => true, 30000);
    await b.join('synergies');
    const got = b.waitFor('message', (ev) => ev.text === 'after the restart');
    await a.say('synergies', 'after the restart');
    const ev = await got;
    assert.equal(ev.from.name, 'Resilient');
  });
});

describe('SDK resume the server cannot serve', { timeout: 20000 }, () => {
  // A stand-in server: it closes with 1008 any hello that resumes from a real
  // position (as a server does when the replay passes its send-queue bound)
  // and answers a fresh one. The SDK must not repeat the same resume forever.
  it('falls back to snapshots after a 1008 during a resume, then stays open', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const hellos = [];
    const snapshot = (seq) => ({ room: 'plenary', epoch: 7, seq, messages: [] });
    wss.on('connection', (sock) => {
      sock.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.op !== 'hello') {
          sock.send(JSON.stringify({ type: 'reply', rid: m.rid, ok: true }));
          return;
        }
        hellos.push(m);
        if (hellos.length === 1) {
          sock.send(JSON.stringify({ type: 'reply', rid: m.rid, ok: true, you: { id: 'p1', name: 'A', role: 'participant', table: null }, tables: [], plenary: snapshot(3) }));
          setTimeout(() => sock.close(1001, 'going away'), 20);
        } else if (m.resume && m.resume.plenary && m.resume.plenary.epoch !== 0) {
          sock.close(1008, 'send queue over its bound');
        } else {
          sock.send(JSON.stringify({ type: 'reply', rid: m.rid, ok: true, you: { id: 'p1', name: 'A', role: 'participant', table: null }, tables: [], plenary: snapshot(50), recovered: { plenary: false } }));
        }
      });
    });
    const c = new Roundtable({
      url: `ws://127.0.0.1:${wss.address().port}/ws`, WebSocket, name: 'A',
      backoffBase: 10, backoffCap: 20, pingInterval: 0,
    });
    const resynced = c.waitFor('resync', () => true, 5000);
    try {
      await c.connect();
      const ev = await resynced;
      assert.equal(ev.snapshot.seq, 50);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(c.state, 'open');
      assert.equal(hellos.length, 3, `hellos: ${JSON.stringify(hellos.map((h) => h.resume))}`);
      assert.deepEqual(hellos[1].resume, { plenary: { epoch: 7, seq: 3 } });
      assert.deepEqual(hellos[2].resume, { plenary: { epoch: 0, seq: 0 } });
      assert.deepEqual(c.rooms.get('plenary'), { epoch: 7, seq: 50 });
    } finally {
      c.close();
      wss.close();
    }
  });
});
