// A Socket.IO room server for the benchmarks: the same hello/join/say subset and
// Roundtable-shaped objects as ws-server.js, carried as Socket.IO events (client sends
// event "op", server answers with events "reply", "message", "presence"). With
// `--redis redis://127.0.0.1:P` it uses the Redis adapter so two or more nodes share
// rooms; seq then comes from a Redis INCR per room, which is what a typical Socket.IO
// deployment would do (and does not by itself keep delivery in seq order across nodes).
'use strict';
const http = require('http');
const { Server } = require('socket.io');
const { parseFlags, loadEvent, ok, fail, snapshot } = require('./common');

const flags = parseFlags(process.argv);
const event = loadEvent(flags.event);
const topics = new Map([['plenary', event.title], ...event.tables.map((t) => [t.id, t.topic])]);
const seqs = new Map([...topics.keys()].map((id) => [id, 0]));

const server = http.createServer();
const io = new Server(server, { serveClient: false, perMessageDeflate: false, transports: ['websocket'] });
let redis = null;
let nextId = 1;
const node = `${process.pid}`;

// Without Redis, seq assignment and emit happen in one synchronous step, so a join (also
// synchronous between its awaits) never sees a seq whose event it will receive again.
function publish(room, obj) {
  obj.room = room;
  obj.epoch = 1;
  if (!redis) {
    obj.seq = seqs.get(room) + 1;
    seqs.set(room, obj.seq);
    io.to(room).emit(obj.type, obj);
    return undefined;
  }
  return redis.incr(`rtbench:seq:${room}`).then((seq) => {
    obj.seq = seq;
    io.to(room).emit(obj.type, obj);
  });
}

async function currentSeq(room) {
  if (redis) return Number((await redis.get(`rtbench:seq:${room}`)) || 0);
  return seqs.get(room);
}

async function handle(socket, msg) {
  const me = socket.data;
  const rid = msg.rid;
  if (!me.named && msg.op !== 'hello') return fail(rid, 'unauthorized', 'hello first');
  switch (msg.op) {
    case 'hello':
      me.named = true;
      me.name = String(msg.name || 'anon');
      socket.join('plenary');
      return ok(rid, {
        you: { id: me.id, name: me.name, role: 'participant', table: null },
        event: { id: event.id, title: event.title, phase: 'roundtables' },
        tables: event.tables.map((t) => ({ id: t.id, topic: t.topic, moderator: null, count: 0, capacity: null, open: true })),
        plenary: snapshot('plenary', event.title, 1, await currentSeq('plenary')),
      });
    case 'join': {
      const table = msg.table;
      if (!topics.has(table) || table === 'plenary') return fail(rid, 'not_found', 'no such table');
      if (me.table && me.table !== table) {
        const old = me.table;
        socket.leave(old);
        await publish(old, { type: 'presence', left: me.id });
      }
      if (me.table !== table) {
        await publish(table, { type: 'presence', joined: { id: me.id, name: me.name, role: 'participant' } });
        socket.join(table);
        me.table = table;
      }
      return ok(rid, { snapshot: snapshot(table, topics.get(table), 1, await currentSeq(table)) });
    }
    case 'say': {
      const room = msg.room;
      if (!socket.rooms.has(room)) return fail(rid, 'forbidden', 'not a member');
      await publish(room, {
        type: 'message', id: `m-${node}-${nextId++}`,
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

io.on('connection', (socket) => {
  socket.data = { id: `p-${node}-${nextId++}`, name: '', named: false, table: null };
  // Requests of one socket are handled one after the other, as Roundtable does.
  let chain = Promise.resolve();
  socket.on('op', (msg) => {
    chain = chain.then(() => handle(socket, msg || {})).then(
      (reply) => socket.emit('reply', reply),
      (err) => socket.emit('reply', fail(msg && msg.rid, 'internal', String(err))),
    );
  });
  socket.on('disconnect', () => {
    if (socket.data.table) Promise.resolve(publish(socket.data.table, { type: 'presence', left: socket.data.id })).catch(() => {});
  });
});

async function main() {
  if (flags.redis) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pub = createClient({ url: flags.redis });
    const sub = pub.duplicate();
    redis = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect(), redis.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  server.listen(flags.port, flags.host, () => {
    const a = server.address();
    console.log(`listening on ${a.address}:${a.port}`);
  });
}
main().catch((err) => { console.error(err); process.exit(1); });
