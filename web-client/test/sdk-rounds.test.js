// The SDK's networking rounds across a reload, against a real
// roundtable-server: a participant grouped mid-round connects again with a
// new client (a reload that lost its state) and is back in its group (the
// group, its room joined, the rounds running); one who opted out stays out;
// the chair's new client knows the rounds run; after the stop, a new client
// has no group.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sdkServer } from './support/sdk-session.js';

describe('SDK networking rounds', { timeout: 60000 }, () => {
  const { server, make } = sdkServer();

  it('gives a reloaded participant its group back, and its opt-out', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    await chair.connect();
    await chair.optOut(true);
    const ada = make({ name: 'Ada' });
    const bob = make({ name: 'Bob' });
    const cy = make({ name: 'Cy' });
    for (const c of [ada, bob, cy]) await c.connect();
    await cy.optOut(true);
    assert.equal(cy.optedOut, true);

    const grouped = [ada.waitFor('group'), bob.waitFor('group'), ada.waitFor('moved')];
    await chair.startRounds({ size: 2, minutes: 5 });
    const [group] = await Promise.all(grouped);
    assert.equal(ada.table, group.room);

    // Ada reloads: a new client with her token, no resume.
    ada.close();
    const again = make({ name: 'Ada', token: ada.token });
    const seated = again.waitFor('snapshot', (e) => e.room === group.room);
    const hello = await again.connect();
    assert.equal(hello.plenary.rounds.group.room, group.room);
    assert.equal(again.group.room, group.room);
    assert.equal(again.group.ends_at, group.ends_at);
    assert.deepEqual(again.group.members.map((m) => m.name).sort(), ['Ada', 'Bob']);
    assert.equal(again.rounds.running, true);
    assert.equal(again.optedOut, false);
    await seated;
    assert.equal(again.table, group.room);
    const heard = bob.waitFor('message', (m) => m.text === 'back');
    await again.say(group.room, 'back');
    await heard;

    const cyAgain = make({ name: 'Cy', token: cy.token });
    await cyAgain.connect();
    assert.equal(cyAgain.optedOut, true);
    assert.equal(cyAgain.group, null);
    const chairAgain = make({ name: 'Chair', token: server.chairToken });
    await chairAgain.connect();
    assert.equal(chairAgain.rounds.running, true);
    assert.equal(chairAgain.rounds.groups, 1);

    await chair.stopRounds();
    const late = make({ name: 'Ada', token: ada.token });
    await late.connect();
    assert.equal(late.group, null);
    assert.equal(late.rounds.running, false);
    assert.equal(late.table, null);
  });
});
