// Roundtable JS SDK: one client connection to a roundtable-server over WebSocket.
// It owns the wire details a front-end should not repeat: request ids and their
// replies, batched server messages, per-room seq tracking and dedupe, keep-alive,
// reconnect with backoff and `hello` + `resume`, and re-joining the table the
// participant sat at. No runtime dependencies: browsers use globalThis.WebSocket,
// Node passes one in (e.g. the `ws` package) through `options.WebSocket`.

/** Error codes the server may put in `error.code` (DESIGN.md, protocol/error.hpp). */
export const SERVER_ERROR_CODES = Object.freeze([
  'bad_request', 'unauthorized', 'forbidden', 'not_found', 'full',
  'rate_limited', 'too_large', 'unavailable', 'internal',
]);

/** Codes the SDK itself raises: no reply in time, connection lost, client closed. */
export const CLIENT_ERROR_CODES = Object.freeze(['timeout', 'disconnected', 'closed']);

/** Connection states, in the order a healthy session goes through them. */
export const STATES = Object.freeze(['idle', 'connecting', 'open', 'reconnecting', 'offline', 'closed']);

/** The reactions the server takes (`react`), in the order a client shows them. */
export const REACTIONS = Object.freeze(['\u{1F44D}', '\u2764\uFE0F', '\u{1F4A1}', '\u{1F44F}', '\u2753', '\u{1F44E}']);

/** A failed op: `code` is one of SERVER_ERROR_CODES or CLIENT_ERROR_CODES. */
export class RoundtableError extends Error {
  constructor(code, message, op) {
    super(message || code);
    this.name = 'RoundtableError';
    this.code = code;
    if (op) this.op = op;
  }
}

// Default timings, each with its reason.
const DEFAULTS = Object.freeze({
  timeout: 10000,        // a reply slower than this means the link is broken
  pingInterval: 20000,   // below the common 30-60 s idle cut of proxies and NATs
  backoffBase: 250,      // first retry soon: most drops are a server restart
  backoffCap: 10000,     // never leave a participant waiting more than 10 s
  offlineAfter: 4,       // failed attempts before the state says `offline`
});

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, base = DEFAULTS.backoffBase, cap = DEFAULTS.backoffCap,
                             random = Math.random) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Splits one server WebSocket message into its JSON objects (one per line). */
export function parseBatch(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    out.push(JSON.parse(line));
  }
  return out;
}

function defaultUrl() {
  const loc = globalThis.location;
  if (!loc || !loc.host) return undefined;
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

const OPEN = 1;

/**
 * A participant's connection. Ops are methods that return a promise of the
 * server's reply; events arrive through `on(type, fn)` under their wire `type`
 * (message, presence, tables, hands, ...), plus the SDK's own:
 *   state    {state, previous, attempt?, delay?}   and one event per state name
 *   welcome  the hello reply, after every (re)connect
 *   snapshot {room, snapshot, cause: 'hello'|'join'|'rejoin'|'moved'}
 *   resync   {room, snapshot}  a resume could not replay what was missed: reload
 *   resume   {rooms} the positions a reconnect's hello asks to resume from
 *   rejoin_failed {table, error}
 *   gap      {room, expected, got}  an event skipped seq numbers
 *   guest_token {token}  the server handed out a guest token (demo mode): keep
 *            it and pass it as `guestToken` next time to come back as the same person
 *   error    RoundtableError for fatal problems (hello refused)
 *   event    every server event, after its own listeners
 */
export class Roundtable {
  constructor(options = {}) {
    this.url = options.url || defaultUrl();
    if (!this.url) throw new TypeError('Roundtable: options.url is required outside a browser');
    this.name = options.name || '';
    this.token = options.token || options.guestToken || undefined;
    // A guest token (demo mode) is the server's own: renewed at every hello and,
    // when refused (expired, or the server lost its secret), dropped for a new one.
    this._guest = !options.token && !!options.guestToken;
    this.WebSocket = options.WebSocket || globalThis.WebSocket;
    if (typeof this.WebSocket !== 'function') {
      throw new TypeError('Roundtable: no WebSocket; pass options.WebSocket (e.g. from the ws package)');
    }
    this.timeout = options.timeout ?? DEFAULTS.timeout;
    this.pingInterval = options.pingInterval ?? DEFAULTS.pingInterval;
    this.backoffBase = options.backoffBase ?? DEFAULTS.backoffBase;
    this.backoffCap = options.backoffCap ?? DEFAULTS.backoffCap;
    this.offlineAfter = options.offlineAfter ?? DEFAULTS.offlineAfter;
    this.reconnect = options.reconnect ?? true;
    this.random = options.random || Math.random;

    this.state = 'idle';
    /** The hello reply's `you`, `event` and `tables`, kept current by events. */
    this.you = null;
    this.event = null;
    this.tables = [];
    /** The table this participant sits at, or null. */
    this.table = null;
    /** When the chair's recall closes the tables (ms since the epoch), 0: none. */
    this.recallEndsAt = 0;
    /** Networking rounds: the latest `rounds` event, and this participant's
     * group (the `group` event) while its round runs; null: none. */
    this.rounds = null;
    this.group = null;
    /** Whether this participant opted out of the networking rounds. */
    this.optedOut = false;
    /** Last {epoch, seq} seen per room: what `resume` asks for. */
    this.rooms = new Map();

    this._listeners = new Map();
    this._pending = new Map();
    this._nextRid = 1;
    this._ws = null;
    this._attempt = 0;
    this._retryTimer = null;
    this._pingTimer = null;
    this._closed = false;
    this._connectWaiters = [];
    this._helloDone = false;
    this._welcome = null;
    this._reloading = false;
    this._resumePending = false;
    this._resumeFailed = false;
    this._onOnline = () => { if (this._retryTimer) this._retryNow(); };
  }

  // ---- events ----------------------------------------------------------

  on(type, fn) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return this;
  }

  off(type, fn) {
    const set = this._listeners.get(type);
    if (set) set.delete(fn);
    return this;
  }

  once(type, fn) {
    const wrapper = (ev) => { this.off(type, wrapper); fn(ev); };
    return this.on(type, wrapper);
  }

  /** Resolves with the next event of `type` for which `filter` holds. */
  waitFor(type, filter = () => true, timeout = this.timeout) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(type, fn);
        reject(new RoundtableError('timeout', `no ${type} event within ${timeout} ms`));
      }, timeout);
      const fn = (ev) => {
        if (!filter(ev)) return;
        clearTimeout(timer);
        this.off(type, fn);
        resolve(ev);
      };
      this.on(type, fn);
    });
  }

  _emit(type, payload) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      // One broken listener must not stop the others or the SDK's own bookkeeping.
      try { fn(payload); } catch (err) { setTimeout(() => { throw err; }); }
    }
  }

  _setState(state, extra = {}) {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    const detail = { state, previous, ...extra };
    this._emit('state', detail);
    this._emit(state, detail);
  }

  // ---- connection ------------------------------------------------------

  /**
   * Opens the connection and says hello. Resolves with the hello reply; rejects
   * when the server refuses the hello (e.g. `unauthorized`) or on `close()`.
   * A network failure is retried with backoff rather than rejected.
   */
  connect() {
    if (this._closed) return Promise.reject(new RoundtableError('closed', 'client closed'));
    if (this.state === 'open') return Promise.resolve(this._welcome);
    const waiter = new Promise((resolve, reject) => this._connectWaiters.push({ resolve, reject }));
    if (this.state === 'idle') {
      if (globalThis.addEventListener) globalThis.addEventListener('online', this._onOnline);
      this._open();
    }
    return waiter;
  }

  /** Closes for good: no more reconnects, pending ops reject with `closed`. */
  close() {
    this._closed = true;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._stopPing();
    if (globalThis.removeEventListener) globalThis.removeEventListener('online', this._onOnline);
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      try { ws.close(1000, 'client closed'); } catch { /* already closing */ }
    }
    this._failPending(new RoundtableError('closed', 'client closed'));
    this._settleConnect(null, new RoundtableError('closed', 'client closed'));
    this._setState('closed');
  }

  _open() {
    if (this._closed) return;
    this._setState(this._helloDone ? 'reconnecting' : 'connecting', { attempt: this._attempt });
    let ws;
    try {
      ws = new this.WebSocket(this.url);
    } catch (err) {
      this._scheduleRetry(err);
      return;
    }
    this._ws = ws;
    ws.onopen = () => { if (this._ws === ws) this._sendHello(); };
    ws.onmessage = (ev) => { if (this._ws === ws) this._onMessage(ev.data); };
    ws.onerror = () => { /* onclose follows and decides */ };
    ws.onclose = (ev) => { if (this._ws === ws) this._onClose(ev); };
  }

  _onClose(ev) {
    this._ws = null;
    // Closed by policy (1008) while the resume was pending: that resume is
    // what the server cannot serve.
    if (this._resumePending && ev && ev.code === 1008) this._resumeFailed = true;
    this._resumePending = false;
    this._stopPing();
    this._failPending(new RoundtableError('disconnected', `connection closed (${ev && ev.code})`));
    if (this._closed) return;
    this._scheduleRetry();
  }

  _scheduleRetry() {
    if (this._closed) return;
    if (!this.reconnect) {
      this._settleConnect(null, new RoundtableError('disconnected', 'connection failed'));
      this._closed = true;
      this._setState('closed');
      return;
    }
    const delay = backoffDelay(this._attempt, this.backoffBase, this.backoffCap, this.random);
    this._attempt += 1;
    const offline = (globalThis.navigator && globalThis.navigator.onLine === false) ||
                    this._attempt > this.offlineAfter;
    this._setState(offline ? 'offline' : 'reconnecting', { attempt: this._attempt, delay });
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => { this._retryTimer = null; this._open(); }, delay);
  }

  _retryNow() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._open();
  }

  _startPing() {
    this._stopPing();
    if (!this.pingInterval) return;
    this._pingTimer = setInterval(() => {
      // A ping without a reply within the timeout means a dead link the OS has
      // not noticed yet: drop it and reconnect instead of waiting for TCP.
      this.ping().catch((err) => {
        if (err.code === 'timeout' && this._ws) this._ws.close(4000, 'ping timeout');
      });
    }, this.pingInterval);
    if (this._pingTimer.unref) this._pingTimer.unref();
  }

  _stopPing() {
    clearInterval(this._pingTimer);
    this._pingTimer = null;
  }

  _settleConnect(value, error) {
    const waiters = this._connectWaiters;
    this._connectWaiters = [];
    for (const w of waiters) (error ? w.reject(error) : w.resolve(value));
  }

  async _sendHello() {
    const msg = { name: this.name };
    if (this.token) msg.token = this.token;
    const resuming = this._helloDone && this.rooms.size > 0;
    if (resuming) {
      msg.resume = {};
      // After a resume the server could not answer (it closed instead), ask
      // with epoch 0, which matches no room: a snapshot of each, the table
      // re-seated, rather than the same resume again and again.
      const fresh = this._resumeFailed;
      for (const [room, pos] of this.rooms) {
        msg.resume[room] = fresh ? { epoch: 0, seq: 0 } : { epoch: pos.epoch, seq: pos.seq };
      }
      this._emit('resume', { rooms: msg.resume });
    }
    this._resumePending = resuming;
    const previousTable = this.table;
    let reply;
    try {
      reply = await this._request('hello', msg, (r) => this._applyHello(r, resuming));
    } catch (err) {
      if (err.code === 'disconnected' || err.code === 'closed') return; // onclose retries
      if (err.code === 'timeout' || err.code === 'unavailable' || err.code === 'internal' ||
          err.code === 'rate_limited') {
        if (this._ws) this._ws.close(4000, 'hello failed');
        return;
      }
      if (err.code === 'unauthorized' && this._guest) {
        this.token = undefined;
        this._guest = false;
        return this._sendHello();
      }
      // The server refused us (bad token, bad name): retrying cannot help.
      this._emit('error', err);
      this._settleConnect(null, err);
      this.close();
      return;
    }
    this._attempt = 0;
    this._resumePending = false;
    this._resumeFailed = false;
    this._helloDone = true;
    this._setState('open');
    this._startPing();
    this._welcome = reply;
    this._emit('welcome', reply);
    this._settleConnect(reply);
    const groupRoom = this.group && this.group.room;
    if (resuming && previousTable && this.table !== previousTable) {
      await this._rejoin(previousTable);
    } else if (groupRoom && this.table !== groupRoom) {
      // Our group's round runs and this session is not seated there (a
      // reload): back to the group's room.
      await this._rejoin(groupRoom);
    }
  }

  async _rejoin(table) {
    try {
      const reply = await this._request('join', { table }, (r) => this._applyJoin(r, 'rejoin', true));
      return reply;
    } catch (err) {
      if (err.code !== 'disconnected' && err.code !== 'closed') {
        this.rooms.delete(table);
        this._emit('rejoin_failed', { table, error: err });
      }
      return null;
    }
  }

  // Runs synchronously when the hello reply arrives, before any event that
  // follows it in the same frame, so seq tracking never races the app.
  _applyHello(reply, resuming) {
    if (!reply.ok) return;
    if (reply.token && (!this.token || this._guest)) {
      this.token = reply.token;
      this._guest = true;
      this._emit('guest_token', { token: reply.token });
    }
    this.you = reply.you || null;
    this.event = reply.event || null;
    if (Array.isArray(reply.tables)) this.tables = reply.tables.map((t) => ({ ...t }));
    const recovered = reply.recovered || {};
    const previousTable = this.table;
    this.table = (reply.you && reply.you.table) || null;
    const take = (room, snap) => {
      if (!snap) return;
      // Recovered: the server replays what we missed after this reply, and those
      // events advance our position; taking the snapshot's seq would drop them.
      if (resuming && recovered[room] === true && this.rooms.has(room)) return;
      this.rooms.set(room, { epoch: snap.epoch, seq: snap.seq });
      this._emit('snapshot', { room, snapshot: snap, cause: resuming ? 'resync' : 'hello' });
      if (resuming) this._emit('resync', { room, snapshot: snap, recovered: false });
    };
    this.recallEndsAt = (reply.plenary && reply.plenary.recall_ends_at) || 0;
    // Where networking rounds stand for us: a reload gets its group back.
    const rounds = reply.plenary && reply.plenary.rounds;
    if (rounds) {
      const { group, opted_out: optedOut, ...where } = rounds;
      const { epoch, seq } = reply.plenary;
      this.rounds = { type: 'rounds', room: 'plenary', epoch, seq, ...where };
      this.group = group || null;
      this.optedOut = !!optedOut;
    }
    take('plenary', reply.plenary);
    if (this.table && reply.table) take(this.table, reply.table);
    // A table the new session does not seat us at: _sendHello re-joins it and
    // the join's snapshot sets the position again.
    if (previousTable && previousTable !== this.table) this.rooms.delete(previousTable);
  }

  _applyJoin(reply, cause, isResync = false) {
    if (!reply.ok || !reply.snapshot) return;
    const snap = reply.snapshot;
    const room = snap.room;
    if (this.table && this.table !== room) this.rooms.delete(this.table);
    this.table = room;
    if (this.you) this.you.table = room;
    this.rooms.set(room, { epoch: snap.epoch, seq: snap.seq });
    this._emit('snapshot', { room, snapshot: snap, cause });
    if (isResync) this._emit('resync', { room, snapshot: snap, recovered: false });
  }

  // ---- incoming --------------------------------------------------------

  _onMessage(data) {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    let objs;
    try {
      objs = parseBatch(text);
    } catch (err) {
      this._emit('protocol_error', { error: err, data: text });
      return;
    }
    for (const obj of objs) {
      if (obj.type === 'reply') this._onReply(obj);
      else this._onEvent(obj);
    }
  }

  _onReply(reply) {
    const entry = this._pending.get(String(reply.rid));
    if (!entry) return; // a reply after its timeout: already rejected
    this._pending.delete(String(reply.rid));
    clearTimeout(entry.timer);
    if (entry.apply) entry.apply(reply);
    if (reply.ok) {
      entry.resolve(reply);
    } else {
      const e = reply.error || {};
      entry.reject(new RoundtableError(e.code || 'internal', e.message || '', entry.op));
    }
  }

  _onEvent(ev) {
    if (ev.seq !== undefined && ev.room !== undefined) {
      const pos = this.rooms.get(ev.room);
      if (pos) {
        if (pos.epoch === ev.epoch && ev.seq <= pos.seq) return; // seen: a replay overlap or a duplicate
        if (pos.epoch !== ev.epoch || ev.seq > pos.seq + 1) {
          // Lost events (PROTOCOL.md section 6): the room's view is stale.
          this._emit('gap', { room: ev.room, expected: pos.seq + 1, got: ev.seq, epoch: ev.epoch });
          this._reload(ev.room);
        }
        this.rooms.set(ev.room, { epoch: ev.epoch, seq: ev.seq });
      } else if (ev.room === 'plenary' || ev.room === this.table) {
        this.rooms.set(ev.room, { epoch: ev.epoch, seq: ev.seq });
      }
    }
    this._track(ev);
    this._emit(ev.type, ev);
    this._emit('event', ev);
  }

  // After a gap: a table is re-joined for a fresh snapshot; the plenary has no
  // join, so the connection is recycled and the hello's resume (or snapshot)
  // repairs it.
  _reload(room) {
    if (this._reloading) return;
    this._reloading = true;
    const done = () => { this._reloading = false; };
    if (room === this.table) {
      this._rejoin(room).finally(done);
    } else if (room === 'plenary' && this._ws) {
      this._ws.close(4001, 'gap in plenary events');
      done();
    } else {
      done();
    }
  }

  // Keeps the lobby view (`tables`, `event`) current so apps can read it.
  _track(ev) {
    switch (ev.type) {
      case 'tables':
        for (const t of ev.tables || []) {
          const mine = this.tables.find((x) => x.id === t.id);
          if (mine) Object.assign(mine, t);
          else this.tables.push({ ...t });
        }
        break;
      case 'table': {
        const mine = this.tables.find((x) => x.id === ev.table);
        if (mine) mine.open = ev.open;
        break;
      }
      case 'table_created':
        if (!this.tables.find((x) => x.id === ev.table)) {
          this.tables.push({ id: ev.table, topic: ev.topic, moderator: ev.moderator,
                             capacity: ev.capacity, count: 0, open: true });
        }
        break;
      case 'phase':
        if (this.event) this.event.phase = ev.name;
        break;
      case 'recall':
        this.recallEndsAt = ev.ended ? 0 : ev.ends_at;
        // Everyone is back in the plenary: the server ended our table's stream.
        if (ev.ended && this.table) {
          this.rooms.delete(this.table);
          this.table = null;
          if (this.you) this.you.table = null;
        }
        break;
      case 'rounds':
        this.rounds = ev;
        // A round ended (the next one gathers, or none is left): the server
        // closed the group's room and took us back to the plenary.
        if ((ev.gathering || !ev.running) && this.group) {
          if (this.table === this.group.room) {
            this.rooms.delete(this.table);
            this.table = null;
            if (this.you) this.you.table = null;
          }
          this.group = null;
        }
        break;
      case 'group':
        this.group = ev;
        break;
      case 'moved':
        // The chair seated us at a table: the server made the hop and sent its
        // snapshot, which counts as our join (a refused move changes nothing).
        if (ev.snapshot) this._applyJoin({ ok: true, snapshot: ev.snapshot }, 'moved');
        break;
      case 'removed':
        // The moderator took this participant off its table: the server ended
        // the stream there, and a reconnect must not sit down again.
        if (ev.on && this.you && ev.participant === this.you.id && ev.room === this.table) {
          this.rooms.delete(this.table);
          this.table = null;
          this.you.table = null;
        }
        break;
      default:
        break;
    }
  }

  // ---- requests --------------------------------------------------------

  _failPending(error) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.reject(new RoundtableError(error.code, error.message, entry.op));
    }
  }

  _request(op, fields = {}, apply = null) {
    const ws = this._ws;
    if (!ws || ws.readyState !== OPEN) {
      return Promise.reject(new RoundtableError(this._closed ? 'closed' : 'disconnected', 'not connected', op));
    }
    const rid = this._nextRid++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(String(rid));
        reject(new RoundtableError('timeout', `no reply to ${op} within ${this.timeout} ms`, op));
      }, this.timeout);
      this._pending.set(String(rid), { op, resolve, reject, timer, apply });
      try {
        ws.send(JSON.stringify({ op, rid, ...fields }));
      } catch (err) {
        clearTimeout(timer);
        this._pending.delete(String(rid));
        reject(new RoundtableError('disconnected', String(err && err.message), op));
      }
    });
  }

  /**
   * Sends any op and resolves with its reply. Ops other than `hello` need an
   * open session; before it (or while reconnecting) they reject `disconnected`.
   */
  request(op, fields = {}) {
    if (op === 'hello') return Promise.reject(new RoundtableError('bad_request', 'hello is sent by connect()', op));
    if (op === 'join') return this.join(fields.table);
    if (this.state !== 'open') {
      return Promise.reject(new RoundtableError(this._closed ? 'closed' : 'disconnected', `not connected (${this.state})`, op));
    }
    const apply = op === 'leave' ? (r) => {
      if (!r.ok) return;
      if (this.table) this.rooms.delete(this.table);
      this.table = null;
      if (this.you) this.you.table = null;
    } : null;
    return this._request(op, fields, apply);
  }

  // ---- ops (DESIGN.md: Protocol v1) -----------------------------------

  /** Sits at `table` (a hop when already at another); resolves with {snapshot}. */
  join(table) {
    if (this.state !== 'open') {
      return Promise.reject(new RoundtableError(this._closed ? 'closed' : 'disconnected', `not connected (${this.state})`, 'join'));
    }
    return this._request('join', { table }, (r) => this._applyJoin(r, 'join'));
  }
  leave() { return this.request('leave'); }
  /** `options.anonymous`: shown as "Anonymous" with a pseudonym, where the room allows it. */
  say(room, text, options = {}) {
    return this.request('say', options.anonymous ? { room, text, anonymous: true } : { room, text });
  }
  hand(up) { return this.request('hand', { up: !!up }); }
  /** Moderator: `next` (the first raised hand), `end` (the turn; the queue stays) or `clear`. */
  speaker(room, action = 'next') { return this.request('speaker', { room, action }); }
  /** Moderator: gives the floor to this raised hand, wherever it is in the queue. */
  giveFloor(room, participant) { return this.request('speaker', { room, participant }); }
  /** Moderator: lowers this participant's hand at one's table. */
  lowerHand(participant) { return this.request('hand', { up: false, participant }); }
  insight(text, options = {}) {
    return this.request('insight', options.anonymous ? { text, anonymous: true } : { text });
  }
  /** `up` false takes one's vote back. */
  vote(insight, up = true) { return this.request('vote', up ? { insight } : { insight, up: false }); }
  delete(room, message) { return this.request('delete', { room, message }); }
  deleteMessage(room, message) { return this.delete(room, message); }
  /** Moderator or chair: removes an insight and its votes (event `deleted` {insight}). */
  deleteInsight(room, insight) { return this.request('delete', { room, insight }); }
  /**
   * Moderator or chair: what became of an insight (event `outcome`). `opts`:
   * `note` (the public explanation), `into` (with status `merged`), `table`.
   */
  outcome(insight, status, opts = {}) {
    const fields = { insight, status };
    for (const k of ['note', 'into', 'table']) if (opts[k] !== undefined) fields[k] = opts[k];
    return this.request('outcome', fields);
  }
  /**
   * Moderator or chair: gives a participant seated at the table one of the
   * event's roles, or takes it back with `role` null (event `role`).
   */
  role(participant, role, table = undefined) {
    const fields = { participant, role: role || null };
    if (table) fields.table = table;
    return this.request('role', fields);
  }
  timer(room, seconds) { return this.request('timer', { room, seconds }); }
  /** Pauses the running timer (`pause` false resumes it). */
  pauseTimer(room, pause = true) { return this.request('timer', { room, pause: !!pause }); }
  /** Adds seconds to the timer, running or paused. */
  extendTimer(room, seconds) { return this.request('timer', { room, extend: seconds }); }
  summary(text, publish = false, table = undefined) {
    const fields = { text, publish: !!publish };
    if (table) fields.table = table;
    return this.request('summary', fields);
  }
  /** Calls the chair to a table (default: the one you sit at); `done` closes the call. */
  help(table = undefined, done = false) {
    const fields = {};
    if (table) fields.table = table;
    if (done) fields.done = true;
    return this.request('help', fields);
  }
  broadcast(text) { return this.request('broadcast', { text }); }
  phase(name) { return this.request('phase', { name }); }
  /** Closes (`open` false) or reopens a table: the `table` op. */
  setTableOpen(table, open) { return this.request('table', { table, open: !!open }); }
  createTable({ table, topic, moderator, capacity } = {}) {
    const fields = { table, topic };
    if (moderator) fields.moderator = moderator;
    if (capacity) fields.capacity = capacity;
    return this.request('create_table', fields);
  }
  /** Moderator or chair: takes a message or an insight out of view (`room`: default one's table). */
  hide(item, room = undefined) { return this.request('hide', room ? { item, room } : { item }); }
  /** Brings a hidden item back (event `restored` carries it again). */
  restore(item, room = undefined) { return this.request('restore', room ? { item, room } : { item }); }
  /** Moderator or chair: the participant reads but cannot post at the table; `on` false undoes. */
  mute(participant, options = {}) { return this.request('mute', sanction(participant, options)); }
  /** Moderator or chair: takes the participant off the table and keeps them out; `on` false lets them back. */
  remove(participant, options = {}) { return this.request('remove', sanction(participant, options)); }
  /** Moderator or chair: switches pre-moderation at a table (event `moderation`). */
  setPremoderate(table, on) { return this.request('moderation', { table, premoderate: !!on }); }
  /** Moderator or chair: a held message or insight reaches the table (`message`, `insight`), or not. */
  approve(item, room = undefined) { return this.request('approve', room ? { item, room } : { item }); }
  reject(item, room = undefined) { return this.request('reject', room ? { item, room } : { item }); }
  /**
   * Chair (plenary) or a table's moderator: asks a question (event `poll`).
   * `opts`: `multiple` (several choices), `live` (false: counts shown at close).
   */
  poll(room, question, options, opts = {}) {
    const fields = { room, question, options };
    for (const k of ['multiple', 'live']) if (opts[k] !== undefined) fields[k] = !!opts[k];
    return this.request('poll', fields);
  }
  /** One's ballot: option indexes; a later one replaces it while the poll is open. */
  pollVote(poll, choices, room = undefined) {
    return this.request('poll_vote', room ? { poll, choices, room } : { poll, choices });
  }
  /** Closes a poll: `poll_results` with the final counts, to everyone. */
  pollClose(poll, room = undefined) {
    return this.request('poll_close', room ? { poll, room } : { poll });
  }
  /** One of REACTIONS on a message or report; the same one again takes it back. */
  react(item, emoji, room = undefined) {
    return this.request('react', room ? { item, emoji, room } : { item, emoji });
  }
  /** Chair: seats a participant (by id) at a table; they get event `moved`. */
  move(participant, table) { return this.request('move', { participant, table }); }
  /** Chair: the same, for every connected participant with that display name. */
  moveByName(name, table) { return this.request('move', { name, table }); }
  /**
   * Chair: moves participants (the most recently seated first) so that the
   * open tables, or those named, differ by at most one; each moved person
   * gets `moved`. Resolves with the reply: `moves` [{participant, from, table}].
   */
  balance(tables = undefined) { return this.request('balance', tables ? { tables } : {}); }
  /**
   * Chair: many moves at once (e.g. from parseMoves), sent without waiting for
   * each reply. Resolves with one {move, ok, error?} per entry, in order.
   */
  moveMany(moves) {
    return Promise.all(moves.map((m) => this.request('move', m).then(
      () => ({ move: m, ok: true }),
      (error) => ({ move: m, ok: false, error }))));
  }
  /** Chair: everyone back to the plenary in `minutes` (0: now); the tables close then. */
  recall(minutes) { return this.request('recall', { minutes }); }
  /** Chair: calls a running recall off. */
  cancelRecall() { return this.request('recall', { cancel: true }); }
  /**
   * Chair: starts networking rounds of random groups of `size` (2 to 4),
   * `minutes` each (1 to 30), `rounds` of them (1 to 10, default 1).
   */
  startRounds({ size, minutes, rounds } = {}) {
    const fields = { size, minutes };
    if (rounds !== undefined) fields.rounds = rounds;
    return this.request('networking', fields);
  }
  /** Chair: ends the running round now, and the rounds. */
  stopRounds() { return this.request('networking', { stop: true }); }
  /** Never grouped in networking rounds (`on` false: back in). */
  optOut(on = true) {
    return this.request('networking', { opt_out: !!on }).then((reply) => {
      this.optedOut = !!on;
      return reply;
    });
  }
  ping() { return this.request('ping'); }
}

/**
 * Reads a CSV of moves, one `who,table` per line: a header line
 * `participant,table` makes `who` participant ids, `name,table` (or none)
 * display names. Quotes around a cell are dropped; blank lines are skipped.
 * Returns {moves: [{participant|name, table}], errors: [{line, text}]}.
 */
export function parseMoves(csv) {
  const moves = [];
  const errors = [];
  let key = 'name';
  const cell = (c) => c.trim().replace(/^"(.*)"$/, '$1').trim();
  String(csv).split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const cells = raw.split(/[,;\t]/).map(cell);
    if (i === 0 && cells[1] && cells[1].toLowerCase() === 'table') {
      const head = cells[0].toLowerCase();
      if (head === 'participant' || head === 'id' || head === 'name') {
        key = head === 'name' ? 'name' : 'participant';
        return;
      }
    }
    if (cells.length !== 2 || !cells[0] || !cells[1]) {
      errors.push({ line: i + 1, text: raw });
      return;
    }
    moves.push({ [key]: cells[0], table: cells[1] });
  });
  return { moves, errors };
}

// The fields of mute and remove: defaults are left to the server.
function sanction(participant, { on, reason, table } = {}) {
  const fields = { participant };
  if (on !== undefined) fields.on = !!on;
  if (reason) fields.reason = reason;
  if (table) fields.table = table;
  return fields;
}

export default Roundtable;
