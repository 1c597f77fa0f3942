// The SDK's moderation methods against a real roundtable-server: hide and
// restore, mute and remove with their reasons, and the SDK's own view of its
// table once the moderator removed it (no stream, no rejoin).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoundtableError } from '../sdk/roundtable.js';
import { sdkServer } from './support/sdk-session.js';

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof RoundtableError, `expected RoundtableError, got ${err}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

describe('SDK moderation', { timeout: 60000 }, () => {
  const { server, make } = sdkServer();

  it('carries the house rules in the hello reply', async () => {
    const a = make({ name: 'Ada' });
    const reply = await a.connect();
    assert.match(reply.event.rules, /Stay on the table's topic/);
    assert.equal(a.event.rules, reply.event.rules);
  });

  it('hides and restores a message; mutes, removes and lets back a participant', async () => {
    const mod = make({ name: 'Mod', token: server.moderatorTokens.synergies });
    const ada = make({ name: 'Ada' });
    await mod.connect();
    const hello = await ada.connect();
    await mod.join('synergies');
    await ada.join('synergies');

    const said = ada.waitFor('message', (ev) => ev.text === 'off topic');
    await ada.say('synergies', 'off topic');
    const msg = await said;
    await rejectsWith(ada.hide(msg.id), 'forbidden');
    const hidden = ada.waitFor('hidden');
    await mod.hide(msg.id);
    assert.equal((await hidden).item, msg.id);
    const restored = ada.waitFor('restored');
    await mod.restore(msg.id, 'synergies');
    assert.equal((await restored).message.text, 'off topic');

    const muted = ada.waitFor('muted');
    await mod.mute(hello.you.id, { reason: 'Calm down' });
    assert.equal((await muted).reason, 'Calm down');
    await rejectsWith(ada.say('synergies', 'but'), 'forbidden');
    await mod.mute(hello.you.id, { on: false });
    await ada.say('synergies', 'sorry');

    const removed = ada.waitFor('removed');
    await mod.remove(hello.you.id, { reason: 'Insults' });
    const ev = await removed;
    assert.equal(ev.reason, 'Insults');
    assert.equal(ada.table, null);
    assert.equal(ada.you.table, null);
    await rejectsWith(ada.join('synergies'), 'forbidden');
    await mod.remove(hello.you.id, { on: false });
    const back = await ada.join('synergies');
    assert.equal(back.snapshot.room, 'synergies');
    assert.equal(ada.table, 'synergies');

    // Pre-moderation: held for the moderator, approved into the table.
    const switched = ada.waitFor('moderation');
    await mod.setPremoderate('synergies', true);
    assert.equal((await switched).premoderate, true);
    const held = mod.waitFor('pending', (ev) => ev.pending);
    const mine = ada.waitFor('pending', (ev) => ev.pending);
    await ada.say('synergies', 'wait for me');
    const item = (await held).id;
    assert.equal((await mine).id, item);
    await rejectsWith(ada.approve(item), 'forbidden');
    const arrived = ada.waitFor('message', (ev) => ev.id === item);
    await mod.approve(item);
    assert.equal((await arrived).text, 'wait for me');
    await rejectsWith(mod.reject(item, 'synergies'), 'not_found');
  });
});
