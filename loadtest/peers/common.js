// Shared by the benchmark peers: command-line flags, the event (tables) they serve,
// and the Roundtable-shaped objects they send, so the load generator reads every peer
// the same way. Only hello/join/say, presence and message fan-out are implemented.
'use strict';
const fs = require('fs');

function parseFlags(argv) {
  const flags = { host: '127.0.0.1', port: 0, event: null, redis: null, fault: 0 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in flags)) throw new Error(`unknown flag ${argv[i]}`);
    flags[key] = argv[i + 1];
  }
  flags.port = Number(flags.port);
  flags.fault = Number(flags.fault);
  return flags;
}

// The demo event's tables unless --event FILE names others (same format as the server).
function loadEvent(file) {
  if (file) return JSON.parse(fs.readFileSync(file, 'utf8'));
  return {
    id: 'demo',
    title: 'OpenGoV Co-production & Co-creation',
    tables: [
      { id: 'synergies', topic: 'Synergies and sustainability' },
      { id: 'big-data', topic: 'Big data for open governance' },
      { id: 'inclusiveness', topic: 'Inclusiveness' },
    ],
  };
}

function ok(rid, extra) {
  return Object.assign({ type: 'reply', rid, ok: true }, extra);
}

function fail(rid, code, message) {
  return { type: 'reply', rid, ok: false, error: { code, message } };
}

function snapshot(room, topic, epoch, seq) {
  return {
    room, epoch, seq, topic, moderator: null, participants: [], messages: [],
    insights: [], hands: [], timer: null, summary: null,
  };
}

module.exports = { parseFlags, loadEvent, ok, fail, snapshot };
