'use strict';
// The peer of make bench: what a typical Node.js integration runs to take
// Lever's webhook deliveries. node:http, node:cluster with one worker per
// core, better-sqlite3 (WAL, synchronous=FULL). Per request it does what
// webhook.fcgi does before answering: check the signature
// (HMAC-SHA256 of token + triggeredAt, constant-time compare), refuse a
// stale triggeredAt, refuse a token seen before (primary key), and insert
// the delivery and its job in one durable transaction.
//
//   PEER_PORT=P PEER_DB=FILE PEER_KEY=SIGNATURE_TOKEN [PEER_WORKERS=N] node server.js
// Prints "listening on 127.0.0.1:P" once every worker listens.
const cluster = require('node:cluster');
const crypto = require('node:crypto');
const http = require('node:http');
const os = require('node:os');
const Database = require('better-sqlite3');

const PORT = Number(process.env.PEER_PORT);
const DB = process.env.PEER_DB;
const KEY = process.env.PEER_KEY;
const WORKERS = Number(process.env.PEER_WORKERS) || os.availableParallelism();
const MAX_BODY = 65536;
const MAX_SKEW_MS = 5 * 60 * 1000;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function open() {
  const db = new Database(DB);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

if (!PORT || !DB || !KEY) {
  console.error('usage: PEER_PORT=P PEER_DB=FILE PEER_KEY=TOKEN node server.js');
  process.exit(2);
}

if (cluster.isPrimary) {
  const db = open();
  db.exec(`CREATE TABLE IF NOT EXISTS deliveries (
             account INTEGER NOT NULL, token TEXT NOT NULL, received_at INTEGER NOT NULL,
             PRIMARY KEY (account, token)) WITHOUT ROWID;
           CREATE TABLE IF NOT EXISTS jobs (
             id INTEGER PRIMARY KEY, account INTEGER NOT NULL, due INTEGER NOT NULL,
             kind TEXT NOT NULL, opportunity TEXT NOT NULL, from_stage TEXT,
             to_stage TEXT NOT NULL, triggered_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
           CREATE INDEX IF NOT EXISTS jobs_due ON jobs (account, due);`);
  db.close();
  let up = 0;
  let stopping = false;
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++up === WORKERS) console.log(`listening on 127.0.0.1:${PORT} (${WORKERS} workers)`);
  });
  cluster.on('exit', (w, code, sig) => {
    if (!stopping) console.error(`peer: worker ${w.process.pid} died (${sig || code})`);
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const db = open();
  const addDelivery = db.prepare(
    'INSERT INTO deliveries (account, token, received_at) VALUES (?, ?, ?)');
  const addJob = db.prepare(`INSERT INTO jobs (account, due, kind, opportunity, from_stage,
    to_stage, triggered_at, created_at) VALUES (?, ?, 'stage_change', ?, ?, ?, ?, ?)`);
  const accept = db.transaction((account, token, now, d, triggered) => {
    addDelivery.run(account, token, now);
    addJob.run(account, now, d.opportunityId, d.fromStageId || null, d.toStageId, triggered, now);
  });
  const key = Buffer.from(KEY);

  const reply = (res, status, msg) => {
    const body = `${status} ${msg}\n`;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = (req, res, body) => {
    let env;
    try {
      env = JSON.parse(body);
    } catch (e) {
      return reply(res, 400, 'malformed JSON');
    }
    if (!env || typeof env !== 'object') return reply(res, 400, 'malformed JSON');
    const { token, signature, event, triggeredAt } = env;
    if (typeof token !== 'string' || typeof signature !== 'string' ||
        typeof event !== 'string' || !Number.isSafeInteger(triggeredAt))
      return reply(res, 400, 'token, signature, event and triggeredAt are required');
    if (token.length === 0 || token.length > 128) return reply(res, 400, 'bad token');
    const mac = crypto.createHmac('sha256', key).update(token + String(triggeredAt)).digest('hex');
    const sig = Buffer.from(signature);
    if (sig.length !== mac.length || !crypto.timingSafeEqual(Buffer.from(mac), sig))
      return reply(res, 401, 'bad signature');
    const now = Date.now();
    if (triggeredAt > now + MAX_SKEW_MS || triggeredAt < now - MAX_AGE_MS)
      return reply(res, 401, 'stale or future triggeredAt');
    if (event !== 'candidateStageChange') return reply(res, 200, 'event not used');
    const d = env.data || {};
    if (!d.opportunityId) d.opportunityId = d.candidateId;
    if (!ID.test(d.opportunityId || '') || !ID.test(d.toStageId || '') ||
        (d.fromStageId && !ID.test(d.fromStageId)))
      return reply(res, 400, 'data.opportunityId and data.toStageId are required');
    try {
      accept.immediate(res.account, token, now, d, triggeredAt);
    } catch (e) {
      if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return reply(res, 200, 'duplicate delivery');
      console.error(`peer: delivery not recorded: ${e.message}`);
      return reply(res, 503, 'could not record the delivery, retry later');
    }
    return reply(res, 200, 'queued');
  };

  http.createServer((req, res) => {
    const m = /^\/lever\/([1-9][0-9]{0,9})\/?$/.exec(req.url);
    if (!m) return reply(res, 404, 'no such endpoint');
    if (req.method !== 'POST') return reply(res, 405, 'POST only');
    if (Number(req.headers['content-length'] || 0) > MAX_BODY)
      return reply(res, 413, 'body too large');
    res.account = Number(m[1]);
    const chunks = [];
    let len = 0;
    req.on('data', (c) => {
      len += c.length;
      if (len <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (len > MAX_BODY) return reply(res, 413, 'body too large');
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  }).listen(PORT, '127.0.0.1');
}
