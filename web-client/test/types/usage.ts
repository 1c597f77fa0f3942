// Uses the SDK the way its declarations (sdk/roundtable.d.ts) say it may be used,
// so that `tsc` (run by test/sdk-types.test.js) fails when a declaration breaks.
import { Roundtable, RoundtableError, backoffDelay, parseBatch, parseMoves, REACTIONS, SERVER_ERROR_CODES } from '../../sdk/roundtable.js';
import type { HelloReply, InsightEvent, MovedEvent, PollEvent, ReactionsEvent, GroupEvent, RecallEvent, RemovedEvent, RoundsEvent, ServerErrorCode } from '../../sdk/roundtable.js';

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
  await rt.hide('m1');
  await rt.restore('i1', 'synergies');
  await rt.mute('p1', { reason: 'off topic' });
  await rt.remove('p1', { on: false, table: 'synergies' });
  await rt.request('mute', { participant: 'p1', on: false });
  await rt.setPremoderate('synergies', true);
  await rt.approve('m1');
  await rt.reject('m2', 'synergies');
  await rt.help();
  await rt.help('synergies', true);
  rt.on('help', (ev) => (ev.done ? ev.by?.name : ev.from?.name));
  rt.on('pending', (ev) => (ev.pending ? ev.text : String(ev.approved)));
  rt.on('removed', (ev: RemovedEvent) => ev.reason.length + (ev.on ? 1 : 0));
  rt.on('restored', (ev) => ev.message?.text ?? ev.insight?.text);
  const rules: string | undefined = hello.event.rules;
  await rt.poll('plenary', 'Which first?', ['Data', 'Skills'], { multiple: true, live: false });
  await rt.pollVote('q1', [0, 1], 'plenary');
  await rt.pollClose('q1');
  await rt.react('m1', REACTIONS[0]);
  await rt.request('react', { item: 'r4', emoji: '\u{1F4A1}', room: 'plenary' });
  rt.on('poll', (ev: PollEvent) => ev.options.length + (ev.live ? 1 : 0));
  rt.on('poll_results', (ev) => (ev.open ? ev.counts.join() : ev.seq));
  rt.on('reactions', (ev: ReactionsEvent) => Object.keys(ev.items).length);
  const mine: number[] | undefined = hello.plenary.polls?.[0]?.mine;
  await rt.move('p1', 'synergies');
  await rt.moveByName('Ada', 'synergies');
  await rt.request('move', { name: 'Ada', table: 'big-data' });
  const results = await rt.moveMany(parseMoves('name,table\nAda,synergies').moves);
  const refused: string = results.filter((r) => !r.ok).map((r) => r.error?.code ?? '').join();
  rt.on('moved', (ev: MovedEvent) => ev.snapshot?.room ?? ev.error?.code);
  await rt.say('synergies', 'hi', { anonymous: true });
  await rt.insight('idea', { anonymous: true });
  await rt.request('say', { room: 'plenary', text: 'hi', anonymous: true });
  await rt.recall(5);
  await rt.cancelRecall();
  await rt.request('recall', { seconds: 90 });
  rt.on('recall', (ev: RecallEvent) => (ev.ended ? 0 : ev.ends_at - rt.recallEndsAt));
  const closesAt: number | undefined = hello.plenary.recall_ends_at;
  await rt.startRounds({ size: 3, minutes: 5, rounds: 2 });
  await rt.stopRounds();
  await rt.optOut(false);
  await rt.request('networking', { opt_out: true });
  rt.on('rounds', (ev: RoundsEvent) => (ev.running && !ev.gathering ? ev.ends_at : 0));
  rt.on('group', (ev: GroupEvent) => ev.members.map((m) => m.name).join(', ') + ev.room);
  const groupRoom: string | undefined = rt.group?.room;
  const roundsLeft: number = rt.rounds?.left ?? 0;
  const optedOut: boolean = rt.optedOut;
  const reloaded: string | undefined = hello.plenary.rounds?.group?.room;
  const created = await rt.createTable({ table: 't', topic: 'T' });
  const invite: string = created.invite.link;
  try {
    await rt.broadcast('hi');
  } catch (err) {
    if (err instanceof RoundtableError) return err.code;
  }
  const codes: readonly ServerErrorCode[] = SERVER_ERROR_CODES;
  rt.close();
  return `${mine?.length ?? 0}${kept ?? ''}${rules ?? ''}${refused}${closesAt ?? 0}${groupRoom ?? ''}${roundsLeft}${optedOut}${reloaded ?? ''}${invite}${backoffDelay(1)}${parseBatch('{}').length}${codes.length}`;
}
