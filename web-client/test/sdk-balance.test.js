// The SDK's `balance` against a real roundtable-server: the chair evens the
// tables out, the reply lists who went where (the most recently seated
// first), each moved client takes its `moved` snapshot as its join; the
// others are refused, and a balanced event moves nobody.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoundtableError } from '../sdk/roundtable.js';
import { sdkServer } from './support/sdk-session.js';

describe('SDK balance', { timeout: 60000 }, () => {
  const { server, make } = sdkServer();

  it('moves the latest seated to the emptiest tables; each moved client follows', async () => {
    const chair = make({ name: 'Chair', token: server.chairToken });
    await chair.connect();
    const people = [];
    for (const name of ['Ada', 'Bob', 'Cy', 'Dee']) {
      const c = make({ name });
      const hello = await c.connect();
      await c.join('synergies');
      people.push({ c, id: hello.you.id });
    }
    await assert.rejects(people[0].c.balance(), (e) => e instanceof RoundtableError && e.code === 'forbidden');
    await assert.rejects(chair.balance(['synergies']), (e) => e.code === 'bad_request');

    const moved = [people[3].c.waitFor('moved'), people[2].c.waitFor('moved')];
    const reply = await chair.balance();
    assert.deepEqual(reply.moves.map((m) => [m.participant.id, m.from, m.table]), [
      [people[3].id, 'synergies', 'big-data'],
      [people[2].id, 'synergies', 'inclusiveness'],
    ]);
    assert.equal(reply.moves[0].participant.name, 'Dee');
    const [dee, cy] = await Promise.all(moved);
    assert.equal(dee.table, 'big-data');
    assert.equal(cy.table, 'inclusiveness');
    assert.equal(people[3].c.table, 'big-data');
    assert.deepEqual((await chair.balance()).moves, []);
  });
});
