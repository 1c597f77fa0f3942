// The SDK's poll and reaction methods against a real roundtable-server: the
// chair's plenary poll, ballots and their coalesced counts (no seq, and no
// `gap` from the SDK), the close with the final counts, reactions taken back,
// and what a refused op rejects with.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoundtableError, REACTIONS } from '../sdk/roundtable.js';
import { sdkServer } from './support/sdk-session.js';

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof RoundtableError, `expected RoundtableError, got ${err}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

describe('SDK polls and reactions', { timeout: 60000 }, () => {
  const { server, make } = sdkServer();

  it('asks, votes, counts, closes, and reacts', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    const ada = make({ name: 'Ada' });
    const bob = make({ name: 'Bob' });
    for (const c of [chair, ada, bob]) await c.connect();
    const gaps = [];
    ada.on('gap', (g) => gaps.push(g));

    await rejectsWith(ada.poll('plenary', 'Mine?', ['a', 'b']), 'forbidden');
    await rejectsWith(chair.poll('plenary', 'One option?', ['a']), 'bad_request');
    const asked = ada.waitFor('poll');
    await chair.poll('plenary', 'Which first?', ['Data', 'Skills', 'Money'], { multiple: true });
    const poll = await asked;
    assert.equal(poll.multiple, true);
    assert.equal(poll.live, true);

    await ada.pollVote(poll.id, [0, 2], 'plenary');
    await bob.pollVote(poll.id, [2]);
    const counted = await ada.waitFor('poll_results', (ev) => ev.counts.join() === '1,0,2');
    assert.equal(counted.seq, undefined);
    await rejectsWith(ada.pollVote(poll.id, [5]), 'bad_request');
    await rejectsWith(ada.pollClose(poll.id), 'forbidden');
    const closed = bob.waitFor('poll_results', (ev) => !ev.open);
    await chair.pollClose(poll.id, 'plenary');
    assert.deepEqual((await closed).counts, [1, 0, 2]);
    await rejectsWith(bob.pollVote(poll.id, [0]), 'forbidden');

    const said = ada.waitFor('message', (ev) => ev.text === 'React to me');
    await chair.say('plenary', 'React to me');
    const msg = await said;
    await ada.react(msg.id, REACTIONS[3]);
    await bob.react(msg.id, REACTIONS[3], 'plenary');
    await chair.waitFor('reactions', (ev) => ev.items[msg.id]?.[REACTIONS[3]] === 2);
    await bob.react(msg.id, REACTIONS[3]);  // taken back
    await chair.waitFor('reactions', (ev) => ev.items[msg.id]?.[REACTIONS[3]] === 1);
    await rejectsWith(ada.react(msg.id, '\u{1F600}'), 'bad_request');
    assert.deepEqual(gaps, []);
  });
});
