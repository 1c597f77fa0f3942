// TypeScript declarations for the Roundtable JS SDK (roundtable.js) and the
// wire protocol v1 it speaks: every op with its fields and reply, every server
// event, every error code. Names and shapes follow DESIGN.md / PROTOCOL.md.

// ---- error codes ----------------------------------------------------------

/** Codes the server sends in a failed reply's `error.code`. */
export type ServerErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'full'
  | 'rate_limited'
  | 'too_large'
  | 'unavailable'
  | 'internal';

/** Codes the SDK raises itself: no reply in time, link lost, client closed. */
export type ClientErrorCode = 'timeout' | 'disconnected' | 'closed';

export type ErrorCode = ServerErrorCode | ClientErrorCode;

export declare const SERVER_ERROR_CODES: readonly ServerErrorCode[];
export declare const CLIENT_ERROR_CODES: readonly ClientErrorCode[];

export declare class RoundtableError extends Error {
  constructor(code: ErrorCode, message?: string, op?: OpName);
  readonly name: 'RoundtableError';
  readonly code: ErrorCode;
  /** The op whose request failed, when the error comes from one. */
  readonly op?: OpName;
}

// ---- shared shapes --------------------------------------------------------

export type Role = 'participant' | 'moderator' | 'chair';
export type RoomId = 'plenary' | string;

export interface Person {
  id: string;
  name: string;
  role: Role;
}

export interface HandEntry {
  id: string;
  name: string;
}

/** What became of an insight; every insight starts `open`. */
export type OutcomeStatus = 'open' | 'taken_up' | 'noted' | 'merged' | 'out_of_scope';

export interface Insight {
  id: string;
  text: string;
  /** Who proposed it. */
  by: Person;
  votes: number;
  status: OutcomeStatus;
  /** The public explanation of the status ('' when none). */
  note: string;
  /** With status `merged`: the insight it joined. */
  into?: string;
}

export interface TimerState {
  /** Milliseconds since the Unix epoch; 0 when stopped or paused. */
  ends_at: number;
  seconds: number;
  /** A paused timer: `left` milliseconds remain. */
  paused?: boolean;
  left?: number;
}

export interface TableInfo {
  id: string;
  topic: string;
  moderator: string;
  count: number;
  capacity: number;
  open: boolean;
  /** At a glance (extension): a moderator of this table is seated there. */
  moderated?: boolean;
  /** Raised hands waiting. */
  hands?: number;
  /** The running timer's end (ms since the epoch); 0: none or paused. */
  timer_ends_at?: number;
  summary?: 'none' | 'draft' | 'published';
  /** The table called the chair and nobody answered yet. */
  help?: boolean;
}

/** A step of the event's agenda: the id `phase` takes, its label by language ({en: "Keynote"}). */
export interface AgendaItem {
  id: string;
  label: Record<string, string>;
}

export interface EventInfo {
  id: string;
  title: string;
  phase: string;
  /** The event's house rules (empty: none), to show at join and at every table. */
  rules?: string;
  /** When the event has an agenda: `phase` takes one of its ids. */
  agenda?: AgendaItem[];
}

export interface You {
  id: string;
  name: string;
  role: Role;
  /** The table this participant sits at, or null. */
  table: string | null;
  /** A moderator's table. */
  moderates?: string;
}

/** Where a client stands in a room's history: what `resume` sends back. */
export interface RoomPosition {
  epoch: number;
  seq: number;
}

/** A room's state at `seq`: what `join` returns and `hello` carries. */
export interface Snapshot {
  room: RoomId;
  epoch: number;
  seq: number;
  topic?: string;
  moderator?: string;
  participants?: Person[];
  /** The latest 50 messages, oldest first. */
  messages?: MessageEvent[];
  /** Ranked by votes; `voted`: whether the participant receiving the snapshot voted for it. */
  insights?: (Insight & { voted?: boolean })[];
  hands?: HandEntry[];
  speaker?: HandEntry | null;
  timer?: TimerState | null;
  /** The last timer ran out (and none was set since). */
  timer_ended?: boolean;
  /** The draft for those who may draft (the table's moderators, the chair); the published text or null for anyone else. */
  summary?: string | null;
  /** The open call for the chair, or null; who may call: `help_from`. */
  help?: { from: Person; ts: number } | null;
  help_from?: 'participants' | 'moderators';
  /** The last published summary of a table, or null. */
  published?: string | null;
  /** Members in the room. */
  count?: number;
  /** Plenary: the current phase, reports and broadcasts so far. */
  phase?: string;
  reports?: ReportEvent[];
  broadcasts?: BroadcastEvent[];
  /** Plenary: the latest phase changes (at most 20), oldest first. */
  phases?: PhaseEvent[];
  /** Plenary: when the chair's recall closes the tables (ms since the epoch); 0: none. */
  recall_ends_at?: number;
  /** Plenary: where networking rounds stand for the participant receiving it. */
  rounds?: RoundsView;
  /** The room takes anonymous `say` and `insight` (the event or table config). */
  anonymous?: boolean;
  open?: boolean;
  capacity?: number;
  /** Table: ids of the participants muted there. */
  muted?: string[];
  premoderate?: boolean;
  /** Table: the held messages and insights this receiver may see (`insight` true for an insight, `own` true for one of its own). */
  pending?: Array<{ id: string; from: Person; text: string; ts: number; insight?: boolean; own?: true }>;
  /** Table: how many held messages or insights the snapshot's byte bound left out. */
  pending_more?: number;
  insights_more?: number;
  /** The room's polls; `counts` absent while a `live: false` poll is open (unless one runs it); `mine`: one's ballot. */
  polls?: Array<Poll & { counts?: number[]; mine: number[] }>;
  /** Reaction counts per item, and one's own reaction per item. */
  reactions?: Record<string, Partial<Record<Reaction, number>>>;
  reacted?: Record<string, Reaction>;
  /** Plenary snapshots may also carry the phase, reports and broadcasts so far. */
  [extra: string]: unknown;
}

// ---- events ---------------------------------------------------------------

/** Fields every event published to a room carries. */
export interface RoomEventBase {
  room: RoomId;
  seq: number;
  epoch: number;
}

export interface MessageEvent extends RoomEventBase {
  type: 'message';
  id: string;
  from: Person;
  text: string;
  ts: number;
  /** Set on a replayed message that a moderator has deleted since: a tombstone without text. */
  deleted?: true;
}

export interface PresenceJoinedEvent extends RoomEventBase {
  type: 'presence';
  joined: Person;
}
export interface PresenceLeftEvent extends RoomEventBase {
  type: 'presence';
  left: string;
}
export type PresenceEvent = PresenceJoinedEvent | PresenceLeftEvent;

/** Lobby occupancy; not a room event (no seq). */
export interface TablesEvent {
  type: 'tables';
  tables: Array<Pick<TableInfo, 'id' | 'count'> & Partial<Pick<TableInfo, 'open'>>>;
}

export interface HandsEvent extends RoomEventBase {
  type: 'hands';
  queue: HandEntry[];
  speaker?: HandEntry | null;
}

export interface InsightEvent extends RoomEventBase, Insight {
  type: 'insight';
}

export interface OutcomeEvent extends RoomEventBase {
  type: 'outcome';
  insight: string;
  status: OutcomeStatus;
  note: string;
  into?: string;
  /** The moderator or chair who decided. */
  by: Person;
  ts: number;
}

export interface RoleEvent extends RoomEventBase {
  type: 'role';
  participant: string;
  /** null: taken back. */
  role: string | null;
  who: { id: string; name: string };
}

export interface DeletedEvent extends RoomEventBase {
  type: 'deleted';
  /** The message deleted (or, from an erasure, an insight id). */
  message?: string;
  /** The insight a moderator or the chair deleted. */
  insight?: string;
}

export interface HiddenEvent extends RoomEventBase {
  type: 'hidden';
  /** The message or insight id. */
  item: string;
  by: Person;
}

export interface RestoredEvent extends RoomEventBase {
  type: 'restored';
  item: string;
  by: Person;
  /** The message again, as first sent (absent when it left the history window). */
  message?: MessageEvent;
  /** The insight again. */
  insight?: Insight;
}

/** `muted` and `removed`: `on` false is the undo; `reason` is told to the person. */
export interface SanctionEvent extends RoomEventBase {
  participant: string;
  on: boolean;
  reason: string;
  by: Person;
}
export interface MutedEvent extends SanctionEvent {
  type: 'muted';
}
export interface RemovedEvent extends SanctionEvent {
  type: 'removed';
}

export interface ModerationEvent extends RoomEventBase {
  type: 'moderation';
  table: string;
  premoderate: boolean;
}

/** A held message or insight (to its author and the moderators only; no seq), or the decision on it. */
export interface PendingEvent {
  type: 'pending';
  room: RoomId;
  id: string;
  pending: boolean;
  /** True when the held item is an insight (approved: an `insight` event); absent for a message. */
  insight?: boolean;
  from?: Person;
  text?: string;
  ts?: number;
  /** When decided (`pending` false). */
  approved?: boolean;
  /** True in the author's copy only: `from` may name just a pseudonym (anonymous). */
  own?: true;
}

/**
 * The chair moved this participant (no seq): the server seated the connection
 * at `table` and sends its snapshot (the SDK takes it as a join), or `error`
 * when the table's log refused the seat (full or closed meanwhile).
 */
export interface MovedEvent {
  type: 'moved';
  table: string;
  by: Person;
  /** True when the chair's `balance` moved them (the reason to tell the person). */
  balance?: true;
  snapshot?: Snapshot;
  error?: { code: ServerErrorCode; message: string };
}

/**
 * The chair's recall, a plenary event: a countdown (`ended` false, `ends_at`
 * its end; 0 when called off), then `ended` true: everyone is back in the
 * plenary and the tables are closed.
 */
export interface RecallEvent extends RoomEventBase {
  type: 'recall';
  ends_at: number;
  ended: boolean;
  by?: Person;
}

/**
 * Networking rounds, a plenary event: gathering (the next round forms in a
 * moment), running (`round` runs until `ends_at`, in `groups` groups), or over
 * (`running` false).
 */
export interface RoundsEvent extends RoomEventBase {
  type: 'rounds';
  running: boolean;
  gathering: boolean;
  round: number;
  /** Rounds still to form after the running one. */
  left: number;
  size: number;
  minutes: number;
  groups: number;
  /** The running round's end (ms since the epoch); 0 while gathering. */
  ends_at: number;
}

/**
 * Networking rounds as the plenary's snapshot tells them to one participant
 * (the `hello` reply, so that a reload gets its group back).
 */
export interface RoundsView extends Omit<RoundsEvent, 'type' | 'room' | 'seq' | 'epoch'> {
  opted_out: boolean;
  /** One's group while its round runs, as the `group` event told it; null: none. */
  group: GroupEvent | null;
}

/** One's group in a networking round (to its members only, no seq): its room takes `say`. */
export interface GroupEvent {
  type: 'group';
  room: string;
  round: number;
  members: Array<{ id: string; name: string }>;
  ends_at: number;
  ts: number;
}

/** One move, by participant id or by display name. */
export type Move = { participant: string; table: string } | { name: string; table: string };

export interface SanctionOptions {
  /** Default true; false undoes. */
  on?: boolean;
  reason?: string;
  /** Default: one's table, else the table one moderates. */
  table?: string;
}

export interface TimerEvent extends RoomEventBase, TimerState {
  type: 'timer';
}

export interface TimerEndedEvent extends RoomEventBase {
  type: 'timer_ended';
}

/**
 * A published summary, at the whole table with a seq; or a draft (`published`
 * false), which only those who may draft there receive: no seq or epoch then,
 * but who wrote it and when.
 */
export interface SummaryEvent extends Omit<RoomEventBase, 'seq' | 'epoch'> {
  type: 'summary';
  seq?: number;
  epoch?: number;
  text: string;
  published?: boolean;
  by?: Person;
  ts?: number;
}

/** To the chairs only: a table calls (`done` false, `from`) or the call closed (`by`). */
export interface HelpEvent {
  type: 'help';
  table: string;
  done: boolean;
  from?: Person;
  by?: Person;
  ts: number;
}

export interface ReportEvent extends RoomEventBase {
  type: 'report';
  room: 'plenary';
  /** For reactions. */
  id?: string;
  table: string;
  topic: string;
  moderator: string;
  text: string;
  ts: number;
  /** The table's figures when the report was published. */
  participants?: number;
  spoke?: number;
  messages?: number;
  stays?: { count: number; person_minutes: number; median_minutes: number };
  /** People who came from another table. */
  hops_in?: number;
}

export interface BroadcastEvent extends RoomEventBase {
  type: 'broadcast';
  room: 'plenary';
  from: Person | string;
  text: string;
  ts: number;
}

export interface PhaseEvent extends RoomEventBase {
  type: 'phase';
  room: 'plenary';
  name: string;
}

export interface TableEvent {
  type: 'table';
  table: string;
  open: boolean;
  room?: RoomId;
  seq?: number;
  epoch?: number;
}

export interface TableCreatedEvent {
  type: 'table_created';
  table: string;
  topic: string;
  moderator: string;
  capacity: number;
  room?: RoomId;
  seq?: number;
  epoch?: number;
}

/** One of the six reactions (see REACTIONS). */
export type Reaction = '\u{1F44D}' | '\u2764\uFE0F' | '\u{1F4A1}' | '\u{1F44F}' | '\u2753' | '\u{1F44E}';
export declare const REACTIONS: readonly Reaction[];

export interface Poll {
  id: string;
  question: string;
  options: string[];
  multiple: boolean;
  /** False: participants see the counts once the poll is closed. */
  live: boolean;
  open: boolean;
  by: Person;
}

export interface PollEvent extends RoomEventBase, Poll {
  type: 'poll';
}

/**
 * Counts per option. While the poll is open: coalesced (at most every 250 ms),
 * without seq/epoch; at close: a room event with `open` false, the final counts.
 */
export interface PollResultsEvent {
  type: 'poll_results';
  room: RoomId;
  poll: string;
  counts: number[];
  open: boolean;
  seq?: number;
  epoch?: number;
}

/** Coalesced reaction counts of the items that changed (no seq). */
export interface ReactionsEvent {
  type: 'reactions';
  room: RoomId;
  items: Record<string, Partial<Record<Reaction, number>>>;
}

export type ServerEvent =
  | MessageEvent
  | PresenceEvent
  | TablesEvent
  | HandsEvent
  | InsightEvent
  | OutcomeEvent
  | RoleEvent
  | DeletedEvent
  | TimerEvent
  | TimerEndedEvent
  | SummaryEvent
  | ReportEvent
  | BroadcastEvent
  | PhaseEvent
  | TableEvent
  | TableCreatedEvent
  | HiddenEvent
  | RestoredEvent
  | MutedEvent
  | RemovedEvent
  | ModerationEvent
  | PendingEvent
  | PollEvent
  | PollResultsEvent
  | ReactionsEvent
  | HelpEvent
  | MovedEvent
  | RecallEvent
  | RoundsEvent
  | GroupEvent;

export type ServerEventType = ServerEvent['type'];

// ---- replies --------------------------------------------------------------

export interface ReplyOk {
  type: 'reply';
  rid?: number | string;
  ok: true;
}

export interface ReplyError {
  type: 'reply';
  rid?: number | string;
  ok: false;
  error: { code: ServerErrorCode; message: string };
}

/** The chair's `balance`: who was moved, from where, to where (empty: balanced already). */
export interface BalanceReply extends ReplyOk {
  moves: Array<{ participant: { id: string; name: string }; from: string; table: string }>;
}

export interface HelloReply extends ReplyOk {
  you: You;
  event: EventInfo;
  tables: TableInfo[];
  plenary: Snapshot;
  /** The current table's snapshot, when the session sits at one. */
  table?: Snapshot | null;
  /** Per room, when `resume` was sent: true if the missed events follow. */
  recovered?: Record<RoomId, boolean>;
  /** Demo mode: this guest's token, to present again to come back as the same person. */
  token?: string;
}

export interface JoinReply extends ReplyOk {
  snapshot: Snapshot;
}

/** A moderator's invitation: `link` is relative to the server's address ("/?token=..."). */
export interface Invitation {
  table: string;
  token: string;
  link: string;
}

export interface CreateTableReply extends ReplyOk {
  invite: Invitation;
}

export interface Ops {
  hello: { fields: { name: string; token?: string; resume?: Record<RoomId, RoomPosition>; stakeholder?: string; expertise?: string }; reply: HelloReply };
  join: { fields: { table: string }; reply: JoinReply };
  leave: { fields: Record<string, never>; reply: ReplyOk };
  say: { fields: { room: RoomId; text: string; anonymous?: boolean }; reply: ReplyOk };
  hand: { fields: { up: boolean; participant?: string }; reply: ReplyOk };
  speaker: { fields: { room: RoomId; action?: 'next' | 'end' | 'clear'; participant?: string }; reply: ReplyOk };
  insight: { fields: { text: string; anonymous?: boolean }; reply: ReplyOk };
  vote: { fields: { insight: string; up?: boolean }; reply: ReplyOk };
  delete: { fields: { room: RoomId; message: string } | { room: RoomId; insight: string }; reply: ReplyOk };
  timer: { fields: { room: RoomId; seconds?: number; pause?: boolean; extend?: number }; reply: ReplyOk };
  summary: { fields: { text: string; publish: boolean; table?: string }; reply: ReplyOk };
  broadcast: { fields: { text: string }; reply: ReplyOk };
  phase: { fields: { name: string }; reply: ReplyOk };
  table: { fields: { table: string; open: boolean }; reply: ReplyOk };
  create_table: { fields: { table: string; topic: string; moderator?: string; capacity?: number }; reply: CreateTableReply };
  hide: { fields: { item: string; room?: RoomId }; reply: ReplyOk };
  restore: { fields: { item: string; room?: RoomId }; reply: ReplyOk };
  mute: { fields: { participant: string } & SanctionOptions; reply: ReplyOk };
  remove: { fields: { participant: string } & SanctionOptions; reply: ReplyOk };
  moderation: { fields: { table: string; premoderate: boolean }; reply: ReplyOk };
  approve: { fields: { item: string; room?: RoomId }; reply: ReplyOk };
  reject: { fields: { item: string; room?: RoomId }; reply: ReplyOk };
  help: { fields: { table?: string; done?: boolean }; reply: ReplyOk };
  move: { fields: Move; reply: ReplyOk };
  balance: { fields: { tables?: string[] }; reply: BalanceReply };
  recall: { fields: { minutes: number } | { seconds: number } | { cancel: true }; reply: ReplyOk };
  networking: { fields: { size: number; minutes: number; rounds?: number } | { stop: true } | { opt_out: boolean }; reply: ReplyOk };
  ping: { fields: Record<string, never>; reply: ReplyOk };
  poll: { fields: { room: RoomId; question: string; options: string[]; multiple?: boolean; live?: boolean }; reply: ReplyOk };
  poll_vote: { fields: { poll: string; choices: number[]; room?: RoomId }; reply: ReplyOk };
  poll_close: { fields: { poll: string; room?: RoomId }; reply: ReplyOk };
  react: { fields: { item: string; emoji: Reaction; room?: RoomId }; reply: ReplyOk };
  outcome: { fields: { insight: string; status: OutcomeStatus; note?: string; into?: string; table?: string }; reply: ReplyOk };
  role: { fields: { participant: string; role: string | null; table?: string }; reply: ReplyOk };
}

export type OpName = keyof Ops;

// ---- the client -----------------------------------------------------------

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';
export declare const STATES: readonly ConnectionState[];

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  attempt?: number;
  /** Milliseconds until the next attempt, when one is scheduled. */
  delay?: number;
}

export interface SnapshotNotice {
  room: RoomId;
  snapshot: Snapshot;
  cause: 'hello' | 'join' | 'rejoin' | 'resync' | 'moved';
}

export interface ResyncNotice {
  room: RoomId;
  snapshot: Snapshot;
  recovered: false;
}

/** Events an app can listen to: the server's by `type`, and the SDK's own. */
export interface ClientEvents {
  message: MessageEvent;
  presence: PresenceEvent;
  tables: TablesEvent;
  hands: HandsEvent;
  insight: InsightEvent;
  outcome: OutcomeEvent;
  role: RoleEvent;
  deleted: DeletedEvent;
  timer: TimerEvent;
  timer_ended: TimerEndedEvent;
  summary: SummaryEvent;
  report: ReportEvent;
  broadcast: BroadcastEvent;
  phase: PhaseEvent;
  table: TableEvent;
  table_created: TableCreatedEvent;
  hidden: HiddenEvent;
  restored: RestoredEvent;
  muted: MutedEvent;
  removed: RemovedEvent;
  moderation: ModerationEvent;
  pending: PendingEvent;
  poll: PollEvent;
  poll_results: PollResultsEvent;
  reactions: ReactionsEvent;
  help: HelpEvent;
  moved: MovedEvent;
  recall: RecallEvent;
  rounds: RoundsEvent;
  group: GroupEvent;
  /** Every server event, after its own listeners. */
  event: ServerEvent;
  state: StateChange;
  idle: StateChange;
  connecting: StateChange;
  open: StateChange;
  reconnecting: StateChange;
  offline: StateChange;
  closed: StateChange;
  /** The hello reply, after every successful (re)connect. */
  welcome: HelloReply;
  /** A fresh room snapshot replaces the app's view of that room. */
  snapshot: SnapshotNotice;
  /** A resume could not replay the missed events: reload the room from `snapshot`. */
  resync: ResyncNotice;
  /** A reconnect's hello is sent with these positions. */
  resume: { rooms: Record<RoomId, RoomPosition> };
  rejoin_failed: { table: string; error: RoundtableError };
  /** Demo mode: the server handed out a guest token; keep it for `guestToken`. */
  guest_token: { token: string };
  /** Events were lost (a seq gap or a new epoch): the SDK reloads the room and a `resync` follows. */
  gap: { room: RoomId; expected: number; got: number; epoch: number };
  protocol_error: { error: Error; data: string };
  /** Fatal: the server refused the hello; the client is closed. */
  error: RoundtableError;
}

/** A WebSocket constructor: the browser's, or e.g. `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface RoundtableOptions {
  /** ws://host:port/ws; defaults to the page's own host in a browser. */
  url?: string;
  name?: string;
  /** A JWT for moderators and the chair. */
  token?: string;
  /** A guest token from an earlier session (demo mode): dropped if the server refuses it. */
  guestToken?: string;
  /** Required in Node 20 (no global WebSocket): e.g. `import WebSocket from 'ws'`. */
  WebSocket?: WebSocketConstructor;
  /** Reply timeout in ms (default 10000). */
  timeout?: number;
  /** Keep-alive ping period in ms (default 20000; 0 disables). */
  pingInterval?: number;
  /** Backoff base and cap in ms (defaults 250 and 10000), full jitter. */
  backoffBase?: number;
  backoffCap?: number;
  /** Failed attempts before the state turns `offline` (default 4). */
  offlineAfter?: number;
  /** Reconnect after a drop (default true). */
  reconnect?: boolean;
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number;
}

export declare function backoffDelay(attempt: number, base?: number, cap?: number, random?: () => number): number;
/** Reads a CSV of moves (`participant,table` or `name,table` header; names without one). */
export declare function parseMoves(csv: string): { moves: Move[]; errors: Array<{ line: number; text: string }> };
export declare function parseBatch(text: string): Array<ServerEvent | ReplyOk | ReplyError>;

export declare class Roundtable {
  constructor(options?: RoundtableOptions);
  readonly url: string;
  readonly state: ConnectionState;
  readonly you: You | null;
  readonly event: EventInfo | null;
  readonly tables: TableInfo[];
  /** The table this participant sits at, or null. */
  readonly table: string | null;
  /** When the chair's recall closes the tables (ms since the epoch); 0: none running. */
  readonly recallEndsAt: number;
  /** The latest networking `rounds` event; null: none yet. */
  readonly rounds: RoundsEvent | null;
  /** One's group while its round runs (after a reload too: the client joins
   * its room again); null: none. */
  readonly group: GroupEvent | null;
  /** Whether this participant opted out of networking rounds (kept across reloads). */
  readonly optedOut: boolean;
  /** Last position seen per room. */
  readonly rooms: Map<RoomId, RoomPosition>;

  on<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): this;
  off<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): this;
  once<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): this;
  waitFor<K extends keyof ClientEvents>(type: K, filter?: (ev: ClientEvents[K]) => boolean, timeout?: number): Promise<ClientEvents[K]>;

  /** Opens, says hello; resolves with the reply, rejects if the hello is refused. */
  connect(): Promise<HelloReply>;
  /** Stops for good: no reconnect, pending ops reject with `closed`. */
  close(): void;

  request<K extends Exclude<OpName, 'hello'>>(op: K, fields?: Ops[K]['fields']): Promise<Ops[K]['reply']>;
  join(table: string): Promise<JoinReply>;
  leave(): Promise<ReplyOk>;
  /** `anonymous`: shown as "Anonymous" with a pseudonym, where the room allows it (snapshot `anonymous`). */
  say(room: RoomId, text: string, options?: { anonymous?: boolean }): Promise<ReplyOk>;
  hand(up: boolean): Promise<ReplyOk>;
  speaker(room: RoomId, action?: 'next' | 'end' | 'clear'): Promise<ReplyOk>;
  /** Moderator: gives the floor to this raised hand, wherever it is in the queue. */
  giveFloor(room: RoomId, participant: string): Promise<ReplyOk>;
  /** Moderator: lowers this participant's hand at one's table. */
  lowerHand(participant: string): Promise<ReplyOk>;
  insight(text: string, options?: { anonymous?: boolean }): Promise<ReplyOk>;
  vote(insight: string, up?: boolean): Promise<ReplyOk>;
  delete(room: RoomId, message: string): Promise<ReplyOk>;
  deleteMessage(room: RoomId, message: string): Promise<ReplyOk>;
  /** Moderator or chair: removes an insight and its votes. */
  deleteInsight(room: RoomId, insight: string): Promise<ReplyOk>;
  /** Moderator or chair: what became of an insight (event `outcome`). */
  outcome(insight: string, status: OutcomeStatus, opts?: { note?: string; into?: string; table?: string }): Promise<ReplyOk>;
  /** Moderator or chair: gives a table role (event `role`); null takes it back. */
  role(participant: string, role: string | null, table?: string): Promise<ReplyOk>;
  timer(room: RoomId, seconds: number): Promise<ReplyOk>;
  /** Pauses the running timer (`pause` false resumes it). */
  pauseTimer(room: RoomId, pause?: boolean): Promise<ReplyOk>;
  /** Adds seconds to the timer, running or paused. */
  extendTimer(room: RoomId, seconds: number): Promise<ReplyOk>;
  summary(text: string, publish?: boolean, table?: string): Promise<ReplyOk>;
  /** Calls the chair to a table (default: the one you sit at); `done` closes the call. */
  help(table?: string, done?: boolean): Promise<ReplyOk>;
  broadcast(text: string): Promise<ReplyOk>;
  phase(name: string): Promise<ReplyOk>;
  /** The `table` op: close (`open` false) or reopen a table. */
  setTableOpen(table: string, open: boolean): Promise<ReplyOk>;
  /** The reply carries the new table's moderator invitation. */
  createTable(opts: { table: string; topic: string; moderator?: string; capacity?: number }): Promise<CreateTableReply>;
  /** Moderator or chair: takes a message or an insight out of view (`room`: default one's table). */
  hide(item: string, room?: RoomId): Promise<ReplyOk>;
  restore(item: string, room?: RoomId): Promise<ReplyOk>;
  /** Moderator or chair: the participant reads but cannot post at the table. */
  mute(participant: string, options?: SanctionOptions): Promise<ReplyOk>;
  /** Moderator or chair: takes the participant off the table until let back (`on: false`). */
  remove(participant: string, options?: SanctionOptions): Promise<ReplyOk>;
  setPremoderate(table: string, on: boolean): Promise<ReplyOk>;
  approve(item: string, room?: RoomId): Promise<ReplyOk>;
  reject(item: string, room?: RoomId): Promise<ReplyOk>;
  /** Chair (plenary) or a table's moderator: asks a question (event `poll`). */
  poll(room: RoomId, question: string, options: string[], opts?: { multiple?: boolean; live?: boolean }): Promise<ReplyOk>;
  /** One's ballot (option indexes); replaces the previous one while the poll is open. */
  pollVote(poll: string, choices: number[], room?: RoomId): Promise<ReplyOk>;
  pollClose(poll: string, room?: RoomId): Promise<ReplyOk>;
  /** The same reaction again takes it back; another replaces it. */
  react(item: string, emoji: Reaction, room?: RoomId): Promise<ReplyOk>;
  /** Chair: seats a participant at a table; they get `moved` and hop. */
  move(participant: string, table: string): Promise<ReplyOk>;
  /** Chair: the same for every connected participant with that display name. */
  moveByName(name: string, table: string): Promise<ReplyOk>;
  /** Chair: evens out the open tables (or those named); each moved person gets `moved`. */
  balance(tables?: string[]): Promise<BalanceReply>;
  /** Chair: many moves sent at once; one result per move, in order. */
  moveMany(moves: Move[]): Promise<Array<{ move: Move; ok: boolean; error?: RoundtableError }>>;
  /** Chair: everyone back to the plenary in `minutes` (0: now); the tables close then. */
  recall(minutes: number): Promise<ReplyOk>;
  /** Chair: calls a running recall off. */
  cancelRecall(): Promise<ReplyOk>;
  /** Chair: starts networking rounds (size 2 to 4, minutes 1 to 30, rounds 1 to 10). */
  startRounds(opts: { size: number; minutes: number; rounds?: number }): Promise<ReplyOk>;
  /** Chair: ends the running round now, and the rounds. */
  stopRounds(): Promise<ReplyOk>;
  /** Never grouped in networking rounds (`on` false: back in). */
  optOut(on?: boolean): Promise<ReplyOk>;
  ping(): Promise<ReplyOk>;
}

export default Roundtable;
