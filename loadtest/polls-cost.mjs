// The cost of a poll and of reactions in a full plenary: VOTERS people (1,000
// by default) each vote once and react once to one message, at random instants
// within SECONDS (10), on one server it starts (memory engine, demo mode), or
// with REDIS=redis://HOST:PORT on two nodes sharing that Redis (voters
// alternate between them).
// Every client counts the `poll_results` and `reactions` events it receives:
// coalesced, each must be at most one per 250 ms per room, however many
// ballots arrive. Prints the figures; asserts nothing but the final counts.
//
//   node loadtest/polls-cost.mjs
//   VOTERS=1000 SECONDS=10 ROUNDTABLE_SERVER=build/release/server/roundtable-server node loadtest/polls-cost.mjs
//   REDIS=redis://127.0.0.1:6390 node loadtest/polls-cost.mjs
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(new URL('./peers/package.json', import.meta.url));
const WebSocket = require('ws');

const VOTERS = Number(process.env.VOTERS || 1000);
const SECONDS = Number(process.env.SECONDS || 10);
const SERVER = process.env.ROUNDTABLE_SERVER || 'build/release/server/roundtable-server';
const REDIS = process.env.REDIS || '';
const THUMBS = '\u{1F44D}';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts the server; resolves with the process and the chair's token.
async function startServer(port, node) {
  const engine = REDIS ? ['--redis', REDIS, '--node-id', node] : ['--ephemeral'];
  const proc = spawn(SERVER, [...engine, '--port', String(port), '--rate-limit', '0',
    '--max-connections-per-ip', '100000'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const token = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/chair link: \S+\?token=(\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { proc, token };
}

// One connection: its replies by rid, and the coalesced events it received.
class Client {
  constructor(port) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    this.rid = 0;
    this.waiting = new Map();
    this.seen = { poll_results: [], reactions: [] };
    this.events = [];
    this.ws.on('message', (data) => {
      for (const line of String(data).split('\n')) {
        if (!line) continue;
        const m = JSON.parse(line);
        if (m.type === 'reply') {
          this.waiting.get(m.rid)?.(m);
          this.waiting.delete(m.rid);
        } else if (m.type in this.seen && m.seq === undefined) {
          this.seen[m.type].push({ at: performance.now(), m });
        } else {
          this.events.push(m);
        }
      }
    });
  }
  opened() { return new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject); }); }
  request(op, fields = {}) {
    const rid = ++this.rid;
    return new Promise((resolve) => {
      this.waiting.set(rid, resolve);
      this.ws.send(JSON.stringify({ op, rid, ...fields }));
    });
  }
  async event(type) {
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type);
      if (i >= 0) return this.events.splice(i, 1)[0];
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
}

async function main() {
  const port = await freePort();
  const { proc, token } = await startServer(port, 'A');
  const ports = [port];
  const procs = [proc];
  if (REDIS) {
    ports.push(await freePort());
    procs.push((await startServer(ports[1], 'B')).proc);
  }
  try {
    const chair = new Client(port);
    await chair.opened();
    await chair.request('hello', { name: 'Chair', token });
    const voters = [];
    for (let i = 0; i < VOTERS; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(VOTERS, i + 100); ++j) batch.push(new Client(ports[j % ports.length]));
      await Promise.all(batch.map((c) => c.opened()));
      await Promise.all(batch.map((c, k) => c.request('hello', { name: `v${i + k}` })));
      voters.push(...batch);
    }
    const poll = chair.request('poll', { room: 'plenary', question: 'Which first?', options: ['Data', 'Skills', 'Money'] });
    const pollId = (await chair.event('poll')).id;
    await poll;
    await chair.request('say', { room: 'plenary', text: 'React to me' });
    const item = (await chair.event('message')).id;

    const start = performance.now();
    let failed = 0;
    const sends = voters.map((c, i) => Promise.all([
      new Promise((r) => setTimeout(r, Math.random() * SECONDS * 1000))
        .then(() => c.request('poll_vote', { room: 'plenary', poll: pollId, choices: [i % 3] })),
      new Promise((r) => setTimeout(r, Math.random() * SECONDS * 1000))
        .then(() => c.request('react', { room: 'plenary', item, emoji: THUMBS })),
    ]).then((replies) => { for (const r of replies) if (!r.ok) ++failed; }));
    await Promise.all(sends);
    const sent = performance.now() - start;
    await new Promise((r) => setTimeout(r, 1000)); // the last coalesced counts
    const window = performance.now() - start;

    const everyone = [chair, ...voters];
    const lines = [`${REDIS ? 'two nodes, Redis engine' : 'one node, memory engine'}: voters ${VOTERS}, ops ${2 * VOTERS} (one poll_vote and one react each) over ${(sent / 1000).toFixed(1)} s, refused ${failed}`];
    for (const type of ['poll_results', 'reactions']) {
      const counts = everyone.map((c) => c.seen[type].length);
      const gaps = [];
      for (const c of everyone) {
        const at = c.seen[type].map((e) => e.at);
        for (let k = 1; k < at.length; ++k) gaps.push(at[k] - at[k - 1]);
      }
      const total = counts.reduce((a, b) => a + b, 0);
      const s = stats(counts);
      const g = gaps.length ? stats(gaps) : { min: NaN, median: NaN };
      lines.push(`${type}: per client min/median/max ${s.min}/${s.median}/${s.max} events ` +
        `(bound ${Math.floor(window / 250) + 1} in ${(window / 1000).toFixed(1)} s); ` +
        `gap between two at a client min ${g.min.toFixed(0)} ms, median ${g.median.toFixed(0)} ms; ` +
        `deliveries ${total} (one event per op would be ${VOTERS * everyone.length})`);
    }
    // The last word at a client of each node must be exact.
    let ok = true;
    for (const c of [chair, ...voters.slice(0, ports.length)]) {
      const last = c.seen.poll_results.at(-1)?.m.counts ?? [];
      const lastReactions = c.seen.reactions.at(-1)?.m.items?.[item]?.[THUMBS] ?? 0;
      const exact = last.reduce((a, b) => a + b, 0) === VOTERS && lastReactions === VOTERS;
      ok &&= exact;
      lines.push(`last counts at a client: poll [${last.join(', ')}], ${THUMBS} ${lastReactions}: ${exact ? 'exact' : 'WRONG'}`);
    }
    console.log(lines.join('\n'));
    for (const c of everyone) c.ws.terminate();
    process.exitCode = ok && failed === 0 ? 0 : 1;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
