// The OpenAI client against a server nobody here wrote (docs/openai-client.md#peer-tests):
// @dwmkerr/mock-llm, pinned in package-lock.json and installed by scripts/bootstrap.sh, runs in this
// process on a free 127.0.0.1 port with the rules of mock_llm.yaml. Every case is made twice on the same
// server: by this SDK (the openai_peer_probe program given as argument) and by the official `openai` npm
// client, and the two outcomes must agree (and match what the case expects).
//
//   node peer_test.js PATH/TO/openai_peer_probe
'use strict';

const http = require('node:http');
const path = require('node:path');
const { execFile } = require('node:child_process');

const here = __dirname;
let createServer, loadConfig, OpenAI;
try {
  ({ createServer } = require('@dwmkerr/mock-llm/dist/server.js'));
  ({ loadConfig } = require('@dwmkerr/mock-llm/dist/config.js'));
  OpenAI = require('openai').default;
} catch (e) {
  console.error('peer_test: the npm packages of tests/peers are missing; run scripts/bootstrap.sh (' + e.message + ')');
  process.exit(1);
}

const probe = process.argv[2];
if (!probe) {
  console.error('usage: node peer_test.js PATH/TO/openai_peer_probe');
  process.exit(2);
}

// mock-llm's express app behind a plain HTTP server that (1) counts requests, (2) adds `Retry-After: N`
// for base URLs under /raN (mock-llm's rules cannot set headers), and (3) closes keep-alive connections
// idle for 300 ms.
let attempts = 0;
function startServer() {
  console.log = () => {};  // mock-llm logs every request
  const app = createServer(loadConfig(path.join(here, 'mock_llm.yaml')), '127.0.0.1', 0);
  const server = http.createServer((req, res) => {
    ++attempts;
    const m = /^\/ra(\d+)(\/.*)$/.exec(req.url);
    if (m) {
      res.setHeader('Retry-After', m[1]);
      req.url = m[2];
    }
    app(req, res);
  });
  server.keepAliveTimeout = 300;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const cases = [
  { name: 'non-streaming Chat', mode: 'create', message: 'hello there', expect: { ok: true, content: 'hello there' } },
  { name: 'streaming Chat', mode: 'stream', message: 'long', expect: { ok: true, finish_reason: 'stop' } },
  { name: 'split emoji (at the 50-character boundary)', mode: 'stream', message: 'emoji',
    expect: { ok: true, content: 'a'.repeat(49) + '\u{1F600} done' } },
  { name: 'error reply inside a 200 stream', mode: 'stream', message: 'status-500', expect: { ok: false } },
  { name: '401', mode: 'create', message: 'status-401', expect: { ok: false, status: 401, attempts: 1 } },
  { name: '429 without Retry-After (one retry)', mode: 'create', message: 'status-429', retries: 1,
    expect: { ok: false, status: 429, attempts: 2 } },
  { name: '429 with Retry-After: 1 (one retry, after 1 s)', mode: 'create', message: 'status-429', retries: 1,
    prefix: '/ra1', expect: { ok: false, status: 429, attempts: 2, min_ms: 900 } },
  { name: '500 without Retry-After (one retry)', mode: 'create', message: 'status-500', retries: 1,
    expect: { ok: false, status: 500, attempts: 2 } },
  { name: '500 with Retry-After: 1', mode: 'create', message: 'status-500', retries: 1, prefix: '/ra1',
    expect: { ok: false, status: 500, attempts: 2, min_ms: 900 } },
  { name: 'streaming 401 (an HTTP error, not a stream)', mode: 'stream', message: 'status-401', prefix: '',
    expect: { ok: false } },
  { name: 'a connection the server closed after idling', mode: 'idle', message: 'again', idle: 800,
    expect: { ok: true, content: 'again', attempts: 2 } },
  { name: 'an agent turn over Chat Completions', mode: 'agent', message: 'long', expect: { ok: true } },
];

function runProbe(base, c) {
  return new Promise((resolve) => {
    execFile(probe, [base, c.mode, c.message, String(c.retries || 0), String(c.idle || 0)], { timeout: 30000 },
      (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout));
        } catch (e) {
          resolve({ ok: false, status: -1, message: 'probe failed: ' + (err ? err.message : '') + stderr });
        }
      });
  });
}

// The same case with openai-node. An agent turn is compared with a plain streaming call.
async function runReference(base, c) {
  const start = Date.now();
  const client = new OpenAI({ apiKey: 'test-key', baseURL: base, maxRetries: c.retries || 0, timeout: 30000 });
  const params = { model: 'mock', messages: [{ role: 'user', content: c.message }] };
  try {
    if (c.mode === 'stream' || c.mode === 'agent') {
      const stream = await client.chat.completions.create({ ...params, stream: true });
      let content = '', finish_reason = '';
      for await (const chunk of stream) {
        for (const ch of chunk.choices || []) {
          if (ch.delta && ch.delta.content) content += ch.delta.content;
          if (ch.finish_reason) finish_reason = ch.finish_reason;
        }
      }
      return { ok: true, content, finish_reason, ms: Date.now() - start };
    }
    if (c.mode === 'idle') {
      await client.chat.completions.create(params);
      await new Promise((r) => setTimeout(r, c.idle));
    }
    const done = await client.chat.completions.create(params);
    return { ok: true, content: done.choices[0].message.content, finish_reason: done.choices[0].finish_reason,
             ms: Date.now() - start };
  } catch (e) {
    return { ok: false, status: e.status || 0, message: e.message, ms: Date.now() - start };
  }
}

function check(c, who, r, n, problems) {
  const e = c.expect;
  if (r.ok !== e.ok) problems.push(`${who}: ok=${r.ok} (${r.message || ''}), expected ${e.ok}`);
  if (e.content !== undefined && r.content !== e.content) problems.push(`${who}: content ${JSON.stringify(r.content)}`);
  if (e.finish_reason !== undefined && r.finish_reason !== e.finish_reason)
    problems.push(`${who}: finish_reason ${r.finish_reason}`);
  if (e.status !== undefined && r.status !== e.status) problems.push(`${who}: status ${r.status}`);
  if (e.attempts !== undefined && n !== e.attempts) problems.push(`${who}: ${n} requests, expected ${e.attempts}`);
  if (e.min_ms !== undefined && !(r.ms >= e.min_ms)) problems.push(`${who}: took ${r.ms} ms, expected >= ${e.min_ms}`);
}

(async () => {
  const server = await startServer();
  const root = `http://127.0.0.1:${server.address().port}`;
  let passed = 0, failed = 0;
  for (const c of cases) {
    const base = root + (c.prefix || '') + '/v1';
    const problems = [];
    attempts = 0;
    const ours = await runProbe(base, c);
    const ourAttempts = attempts;
    attempts = 0;
    const theirs = await runReference(base, c);
    const theirAttempts = attempts;
    check(c, 'chatkit', ours, c.mode === 'agent' ? undefined : ourAttempts, problems);
    check(c, 'openai-node', theirs, c.mode === 'agent' ? undefined : theirAttempts, problems);
    // The two clients agree.
    if (ours.ok !== theirs.ok) problems.push('the clients disagree on success');
    if (ours.ok && theirs.ok && ours.content !== theirs.content)
      problems.push(`the clients disagree on the text: ${JSON.stringify(ours.content)} vs ${JSON.stringify(theirs.content)}`);
    if (!ours.ok && !theirs.ok && ours.status !== theirs.status)
      problems.push(`the clients disagree on the status: ${ours.status} vs ${theirs.status}`);
    if (problems.length === 0) {
      ++passed;
      process.stdout.write(`ok   ${c.name}\n`);
    } else {
      ++failed;
      process.stdout.write(`FAIL ${c.name}\n  ${problems.join('\n  ')}\n  chatkit: ${JSON.stringify(ours)}\n` +
                           `  openai-node: ${JSON.stringify(theirs)}\n`);
    }
  }
  server.close();
  server.closeAllConnections();
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
})();
