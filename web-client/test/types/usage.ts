// Uses the SDK the way its declarations (sdk/roundtable.d.ts) say it may be used,
// so that `tsc` (run by test/sdk-types.test.js) fails when a declaration breaks.
import { Roundtable, RoundtableError, backoffDelay, parseBatch, SERVER_ERROR_CODES } from '../../sdk/roundtable.js';
import type { HelloReply, InsightEvent, ServerErrorCode } from '../../sdk/roundtable.js';

export async function session(): Promise<string> {
  const rt = new Roundtable({ url: 'ws://127.0.0.1:1/ws', name: 'Ada', guestToken: 'g', timeout: 1000 });
  rt.on('guest_token', ({ token }) => token.length);
  rt.on('insight', (ev: InsightEvent) => ev.votes + 1);
  rt.on('snapshot', ({ room, snapshot }) => `${room}:${snapshot.seq}`);
  const hello: HelloReply = await rt.connect();
  const kept: string | undefined = hello.token;
  await rt.join('synergies');
  await rt.vote('i1');
  await rt.vote('i1', false);
  await rt.giveFloor('synergies', 'p-1');
  await rt.lowerHand('p-1');
  await rt.speaker('synergies', 'end');
  await rt.pauseTimer('synergies');
  await rt.extendTimer('synergies', 60);
  await rt.request('vote', { insight: 'i1', up: false });
  await rt.summary('text', true, 'synergies');
  const created = await rt.createTable({ table: 't', topic: 'T' });
  const invite: string = created.invite.link;
  try {
    await rt.broadcast('hi');
  } catch (err) {
    if (err instanceof RoundtableError) return err.code;
  }
  const codes: readonly ServerErrorCode[] = SERVER_ERROR_CODES;
  rt.close();
  return `${kept ?? ''}${invite}${backoffDelay(1)}${parseBatch('{}').length}${codes.length}`;
}
