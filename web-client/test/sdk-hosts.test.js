// The SDK's hosts' tools against a real roundtable-server: the chair moves a
// participant (one move, by name, and many from a CSV), the moved client takes
// the `moved` snapshot as its join (its table, its seq, the `snapshot` notice),
// and a refused move says why; the recall's countdown and end as the SDK
// tracks them; anonymous contributions where the event config allows them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RoundtableError, parseMoves } from '../sdk/roundtable.js';
import { sdkServer } from './support/sdk-session.js';

describe('parseMoves', () => {
  it('reads ids or names by the header, and reports bad lines', () => {
    assert.deepEqual(parseMoves('participant,table\np-1,synergies\r\n"p-2" ; big-data\n\n'), {
      moves: [{ participant: 'p-1', table: 'synergies' }, { participant: 'p-2', table: 'big-data' }],
      errors: [],
    });
    const { moves, errors } = parseMoves('Ada Lovelace,synergies\nno table here\nBob,big-data,extra\nBob,inclusiveness');
    assert.deepEqual(moves, [{ name: 'Ada Lovelace', table: 'synergies' }, { name: 'Bob', table: 'inclusiveness' }]);
    assert.deepEqual(errors.map((e) => e.line), [2, 3]);
    assert.deepEqual(parseMoves('name;table\nAda;synergies').moves, [{ name: 'Ada', table: 'synergies' }]);
  });
});

describe('SDK hosts', { timeout: 60000 }, () => {
  const { server, make } = sdkServer();

  it('moves a participant, who takes the snapshot as a join', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    const ada = make({ name: 'Ada' });
    await chair.connect();
    const hello = await ada.connect();
    await ada.join('synergies');

    const notices = [];
    ada.on('snapshot', (n) => notices.push(n));
    const moved = ada.waitFor('moved');
    await chair.move(hello.you.id, 'big-data');
    const ev = await moved;
    assert.equal(ev.table, 'big-data');
    assert.equal(ev.by.role, 'chair');
    assert.equal(ada.table, 'big-data');
    assert.equal(ada.you.table, 'big-data');
    assert.equal(ada.rooms.get('big-data').seq, ev.snapshot.seq);
    assert.equal(ada.rooms.has('synergies'), false);
    assert.deepEqual(notices.map((n) => [n.room, n.cause]), [['big-data', 'moved']]);
    // The SDK follows the new table's events from there, with no gap.
    const gaps = [];
    ada.on('gap', (g) => gaps.push(g));
    const heard = ada.waitFor('message', (m) => m.room === 'big-data');
    await ada.say('big-data', 'hello table');
    await heard;
    assert.deepEqual(gaps, []);

    // Only the chair moves people; an unknown table is refused.
    await assert.rejects(ada.move(hello.you.id, 'synergies'),
      (e) => e instanceof RoundtableError && e.code === 'forbidden');
    await assert.rejects(chair.move(hello.you.id, 'nowhere'), (e) => e.code === 'not_found');
  });

  it('moves many from a CSV by name, one result per line', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    const bea = make({ name: 'Bea Csv' });
    const cem = make({ name: 'Cem Csv' });
    await chair.connect();
    await bea.connect();
    await cem.connect();
    const { moves, errors } = parseMoves('name,table\nBea Csv,inclusiveness\nCem Csv,synergies\nDan,nowhere');
    assert.deepEqual(errors, []);
    const beaMoved = bea.waitFor('moved');
    const cemMoved = cem.waitFor('moved');
    const results = await chair.moveMany(moves);
    assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
    assert.equal(results[2].error.code, 'not_found');
    await beaMoved;
    await cemMoved;
    assert.equal(bea.table, 'inclusiveness');
    assert.equal(cem.table, 'synergies');
  });
});

describe('SDK hosts: recall and anonymous', { timeout: 60000 }, () => {
  let dir;
  let file;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-hosts-'));
    file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify({
      id: 'sdk-hosts', title: 'Hosts', tables: [
        { id: 'open-floor', topic: 'Open floor', anonymous: true },
        { id: 'signed', topic: 'Signed' }],
    }));
  });
  const { server, make } = sdkServer(() => ['--event', file]);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('posts anonymously where the table allows it, and says no elsewhere', async () => {
    const ada = make({ name: 'Ada' });
    const bob = make({ name: 'Bob' });
    await ada.connect();
    await bob.connect();
    const { snapshot } = await ada.join('open-floor');
    assert.equal(snapshot.anonymous, true);
    await bob.join('open-floor');
    const heard = bob.waitFor('message', (m) => m.text === 'quietly');
    await ada.say('open-floor', 'quietly', { anonymous: true });
    const m = await heard;
    assert.equal(m.from.name, 'Anonymous');
    assert.match(m.from.id, /^anon-/);
    assert.notEqual(m.from.id, ada.you.id);
    const idea = bob.waitFor('insight');
    await ada.insight('an idea', { anonymous: true });
    assert.equal((await idea).by.id, m.from.id);
    const other = await ada.join('signed');
    assert.equal(other.snapshot.anonymous, false);
    await assert.rejects(ada.say('signed', 'x', { anonymous: true }), (e) => e.code === 'forbidden');
  });

  it('tracks the recall: the countdown, then back in the plenary', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    const ada = make({ name: 'Ada' });
    await chair.connect();
    await ada.connect();
    await ada.join('signed');
    const set = ada.waitFor('recall');
    await chair.recall(10);
    const ev = await set;
    assert.equal(ev.ended, false);
    assert.equal(ada.recallEndsAt, ev.ends_at);
    const late = make({ name: 'Late' });
    await late.connect();
    assert.equal(late.recallEndsAt, ev.ends_at);
    const ended = ada.waitFor('recall', (e) => e.ended);
    await chair.request('recall', { seconds: 0 });
    await ended;
    assert.equal(ada.recallEndsAt, 0);
    assert.equal(ada.table, null);
    await assert.rejects(ada.join('signed'), (e) => e.code === 'forbidden');
    await assert.rejects(ada.recall(1), (e) => e.code === 'forbidden');
  });
});
