// A minimal room server on the Node `ws` library, speaking the subset of Roundtable's
// protocol the load generator uses (hello, join as a hop, say; message and presence
// events with a gapless seq per room). A baseline for the benchmarks, and a stand-in
// to develop the generator against. Prints "listening on HOST:PORT".
// `--fault N` drops every Nth delivery on purpose, to show the generator's checks fail.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const { parseFlags, loadEvent, ok, fail, snapshot } = require('./common');

const flags = parseFlags(process.argv);
const event = loadEvent(flags.event);
const rooms = new Map();  // id -> { topic, epoch, seq, members: Set<ws> }
rooms.set('plenary', { topic: event.title, epoch: 1, seq: 0, members: new Set() });
for (const t of event.tables) rooms.set(t.id, { topic: t.topic, epoch: 1, seq: 0, members: new Set() });

let nextId = 1;
let deliveries = 0;

// Serialize once, send the same string to every member.
function publish(room, roomId, obj) {
  room.seq += 1;
  obj.room = roomId;
  obj.seq = room.seq;
  obj.epoch = room.epoch;
  const text = JSON.stringify(obj);
  for (const ws of room.members) {
    deliveries += 1;
    if (flags.fault && deliveries % flags.fault === 0) continue;
    ws.send(text);
  }
}

function handle(ws, msg) {
  const me = ws.participant;
  const rid = msg.rid;
  if (!me.named && msg.op !== 'hello') return fail(rid, 'unauthorized', 'hello first');
  switch (msg.op) {
    case 'hello': {
      me.named = true;
      me.name = String(msg.name || 'anon');
      const plenary = rooms.get('plenary');
      plenary.members.add(ws);
      return ok(rid, {
        you: { id: me.id, name: me.name, role: 'participant', table: null },
        event: { id: event.id, title: event.title, phase: 'roundtables' },
        tables: event.tables.map((t) => ({
          id: t.id, topic: t.topic, moderator: null, count: rooms.get(t.id).members.size,
          capacity: null, open: true,
        })),
        plenary: snapshot('plenary', plenary.topic, plenary.epoch, plenary.seq),
      });
    }
    case 'join': {
      const room = rooms.get(msg.table);
      if (!room || msg.table === 'plenary') return fail(rid, 'not_found', 'no such table');
      if (me.table && me.table !== msg.table) {
        const old = rooms.get(me.table);
        old.members.delete(ws);
        publish(old, me.table, { type: 'presence', left: me.id });
      }
      if (me.table !== msg.table) {
        publish(room, msg.table, { type: 'presence', joined: { id: me.id, name: me.name, role: 'participant' } });
        room.members.add(ws);
        me.table = msg.table;
      }
      return ok(rid, { snapshot: snapshot(msg.table, room.topic, room.epoch, room.seq) });
    }
    case 'say': {
      const room = rooms.get(msg.room);
      if (!room || !room.members.has(ws)) return fail(rid, 'forbidden', 'not a member');
      publish(room, msg.room, {
        type: 'message', id: `m${room.seq + 1}`,
        from: { id: me.id, name: me.name, role: 'participant' }, text: String(msg.text), ts: Date.now(),
      });
      return ok(rid);
    }
    case 'ping':
      return ok(rid);
    default:
      return fail(rid, 'bad_request', 'unknown op');
  }
}

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.participant = { id: `p${nextId++}`, name: '', named: false, table: null };
  ws.on('message', (data) => {
    let msg;
    try { msg = JSON.parse(data); } catch { return ws.send(JSON.stringify(fail(null, 'bad_request', 'not JSON'))); }
    ws.send(JSON.stringify(handle(ws, msg)));
  });
  ws.on('close', () => {
    const me = ws.participant;
    rooms.get('plenary').members.delete(ws);
    if (me.table) {
      const room = rooms.get(me.table);
      room.members.delete(ws);
      publish(room, me.table, { type: 'presence', left: me.id });
    }
  });
});
server.listen(flags.port, flags.host, () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
