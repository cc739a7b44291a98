#!/usr/bin/env node
/*
 * The task bot in a real browser: Debian's chromium, driven by playwright-core, against a real task_bot
 * process (demo mode, demo model, a temporary SQLite file, a free loopback port).
 *
 *   node tests/browser/task_bot_test.js <path/to/task_bot> [--artifacts DIR]
 *
 * Environment: TASK_BOT_BIN (instead of the argument), BROWSER_ARTIFACTS (instead of --artifacts; default
 * ./browser-artifacts), CHROMIUM (default /usr/bin/chromium), BROWSER_TIMEOUT_MS (per wait, default 15000).
 * Screenshots and the server's log are written to the artefacts directory. The last line printed is
 * "N passed, M failed"; the exit status is non-zero when a check failed. What each check proves:
 * docs/task-bot.md#tests.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed: run `npm ci` in tests/browser (scripts/bootstrap.sh does).');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// --- arguments ----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
function option(name) {
  const i = argv.indexOf(name);
  if (i < 0) return null;
  const value = argv[i + 1];
  argv.splice(i, 2);
  return value;
}
const artifacts = path.resolve(option('--artifacts') || process.env.BROWSER_ARTIFACTS || 'browser-artifacts');
const binary = argv[0] || process.env.TASK_BOT_BIN;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.BROWSER_TIMEOUT_MS || 15000);
// The promise: a change made by chat reaches the dashboard within a second. Polling (the fallback)
// runs every 3 s, so meeting this bound also shows the change was pushed.
const PUSH_BOUND_MS = 1000;

if (!binary || !fs.existsSync(binary)) {
  console.error('usage: task_bot_test.js <path/to/task_bot> [--artifacts DIR]  (got: ' + binary + ')');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(chromiumPath + ' not found: install Debian\'s chromium (scripts/bootstrap.sh does).');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
fs.mkdirSync(artifacts, { recursive: true });
for (const f of fs.readdirSync(artifacts)) {
  if (f.endsWith('.png') || f === 'task_bot.log') fs.rmSync(path.join(artifacts, f)); // of an earlier run
}

// --- checks -------------------------------------------------------------------------------------

const results = [];
let broken = null; // the first failed check: later checks depend on it and are reported as not run

async function check(name, fn) {
  if (broken) {
    results.push({ name, ok: false });
    console.log('not run  ' + name + '  (after: ' + broken + ')');
    return;
  }
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log('ok       ' + name + '  (' + (Date.now() - t0) + ' ms' + (note ? ', ' + note : '') + ')');
  } catch (e) {
    results.push({ name, ok: false });
    broken = name;
    console.log('FAILED   ' + name + '\n         ' + String((e && e.stack) || e).split('\n').slice(0, 6).join('\n         '));
    await shootAll('failure');
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// --- the server ---------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'task-bot-browser-'));
let server = null;
let serverExit = null;
let base = null;

// A fixed secret (instead of demo mode's random one) keeps the pages' tokens valid across a restart.
const JWT_SECRET = require('crypto').randomBytes(32).toString('hex');

async function startServer(fixedPort) {
  const port = fixedPort || (await freePort());
  base = 'http://127.0.0.1:' + port;
  const env = { ...process.env, CHATKIT_JWT_SECRET: JWT_SECRET };
  // The demo model and our own chat panel: no real model, no OpenAI web component, no allowlist.
  for (const k of ['OPENAI_API_KEY', 'CHATKIT_DOMAIN_KEY', 'CHATKIT_DOMAIN_ALLOWLIST', 'CORS_ORIGINS', 'DATABASE_URL', 'PORT', 'BIND']) delete env[k];
  const args = ['--demo', '--bind', '127.0.0.1', '--port', String(port), '--store', 'sqlite:' + path.join(tmp, 'task_bot.db')];
  // A .js path runs under node: a stand-in server while developing the page.
  const [cmd, cmdArgs] = binary.endsWith('.js') ? [process.execPath, [binary, ...args]] : [binary, args];
  const log = fs.openSync(path.join(artifacts, 'task_bot.log'), 'a');
  server = spawn(cmd, cmdArgs, { env, stdio: ['ignore', log, log] });
  serverExit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + TIMEOUT;
  let exited = null;
  serverExit.then((r) => { exited = r; });
  for (;;) {
    if (exited) throw new Error('task_bot exited at start (' + JSON.stringify(exited) + '); see ' + path.join(artifacts, 'task_bot.log'));
    try {
      const r = await fetch(base + '/healthz');
      if (r.ok) return base;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error('task_bot did not answer /healthz on ' + base);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// SIGTERM, then SIGKILL after 10 s; resolves to how it ended ({code, signal}).
async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return serverExit;
  const s = server;
  s.kill('SIGTERM');
  const timer = setTimeout(() => s.kill('SIGKILL'), 10000);
  const result = await serverExit;
  clearTimeout(timer);
  return result;
}

// --- the browsers -------------------------------------------------------------------------------

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const sessions = []; // {name, context, page, errors}
let shot = 0;

// One browser per user, each with a fresh profile directory: nothing is shared between alice and bob.
async function openBrowser(name) {
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-' + name + '-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: TIMEOUT * 2,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] || (await context.newPage());
  const session = { name, context, page, errors: [] };
  page.on('pageerror', (e) => session.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') session.errors.push('console: ' + m.text());
  });
  sessions.push(session);
  return session;
}

async function screenshot(session, label) {
  shot += 1;
  const file = path.join(artifacts, String(shot).padStart(2, '0') + '-' + session.name + '-' + label + '.png');
  await session.page.screenshot({ path: file, fullPage: true }).catch(() => {});
  return file;
}

async function shootAll(label) {
  for (const s of sessions) await screenshot(s, label);
}

async function signIn(session, name) {
  const { page } = session;
  await page.goto(base + '/');
  await page.locator('#login-name').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#live-status[data-state="live"]').waitFor();
  await page.locator('#task-list[data-loaded="true"]').waitFor({ state: 'attached' });
  const who = await page.locator('#user-name').textContent();
  assert(who === name, 'signed in as "' + who + '", expected "' + name + '"');
}

/** Sends a chat message and waits for the turn to end; returns the last assistant message's text. */
async function chat(session, text) {
  const { page } = session;
  const before = await page.locator('.msg.assistant').count();
  await page.locator('#chat-input').fill(text);
  await page.locator('#chat-input').press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.msg.assistant').length > n
    && document.getElementById('chat-root').dataset.busy === 'false', before, { timeout: TIMEOUT });
  const errors = await page.locator('.notice.error').allTextContents();
  assert(errors.length === 0, 'the chat showed an error: ' + errors.join(' | '));
  return page.locator('.msg.assistant .text').last().textContent();
}

function taskRows(page) {
  return page.locator('#task-list li.task');
}

async function apiAs(session, method, route, body) {
  const token = await session.page.evaluate(() => sessionStorage.getItem('task_bot.token'));
  const headers = { Authorization: 'Bearer ' + token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// --- the scenario -------------------------------------------------------------------------------

async function main() {
  let alice;
  let bob;
  let milk; // alice's task as the REST API sees it

  await check('task_bot starts in demo mode with a temporary SQLite store', async () => {
    await startServer();
    const config = await (await fetch(base + '/api/config')).json();
    assert(config.demo_model === true && config.demo_auth === true, 'config: ' + JSON.stringify(config));
    return base;
  });

  await check('the page says the demo model is answering and offers the demo sign-in', async () => {
    alice = await openBrowser('alice');
    await alice.page.goto(base + '/');
    await alice.page.locator('#demo-banner').waitFor({ state: 'visible' });
    const banner = await alice.page.locator('#demo-banner').textContent();
    assert(/demo model/i.test(banner), 'banner: ' + banner);
    await alice.page.locator('#login-name').waitFor({ state: 'visible' });
    await screenshot(alice, 'sign-in');
  });

  await check('alice signs in: an empty dashboard, live updates connected', async () => {
    await signIn(alice, 'alice');
    assert(await taskRows(alice.page).count() === 0, 'a new user has tasks');
    // A marker that a reload would wipe: every later check on this page proves "without reload".
    await alice.page.evaluate(() => { window.__noReload = true; });
    await screenshot(alice, 'signed-in');
  });

  await check('alice adds a task by chat; it appears on her dashboard without reload', async () => {
    const started = Date.now();
    const answer = await chat(alice, 'add a task to buy milk');
    const answered = Date.now();
    const row = taskRows(alice.page).filter({ hasText: /buy milk/i });
    await row.first().waitFor({ timeout: PUSH_BOUND_MS });
    const seen = Date.now();
    assert(await row.count() === 1, 'expected one "buy milk" row, found ' + await row.count());
    assert(await row.getAttribute('data-status') === 'pending', 'the new task is not pending');
    assert(await alice.page.evaluate(() => window.__noReload === true), 'the page was reloaded');
    await screenshot(alice, 'added-by-chat');
    return 'answer "' + answer.trim() + '"; turn ' + (answered - started) + ' ms, on the dashboard '
      + Math.max(0, seen - answered) + ' ms after the turn';
  });

  await check('alice completes it on the dashboard; the server has it completed', async () => {
    const row = taskRows(alice.page).filter({ hasText: /buy milk/i });
    await row.getByRole('checkbox').check();
    await alice.page.locator('#task-list li.task[data-status="completed"]').filter({ hasText: /buy milk/i }).waitFor();
    const { status, body } = await apiAs(alice, 'GET', '/api/tasks');
    assert(status === 200, 'GET /api/tasks: ' + status);
    const mine = body.tasks.filter((t) => /buy milk/i.test(t.title));
    assert(mine.length === 1 && mine[0].status === 'completed', 'server: ' + JSON.stringify(body.tasks));
    milk = mine[0];
    await alice.page.getByLabel('Completed', { exact: true }).check();
    assert(await taskRows(alice.page).count() === 1, 'the "completed" filter does not show the task');
    await alice.page.getByLabel('Pending', { exact: true }).check();
    assert(await taskRows(alice.page).count() === 0, 'the "pending" filter shows a completed task');
    await alice.page.getByLabel('All', { exact: true }).check();
    await screenshot(alice, 'completed-on-dashboard');
  });

  await check('alice asks "what are my tasks": the answer shows buy milk completed', async () => {
    const answer = await chat(alice, 'what are my tasks');
    assert(/buy milk/i.test(answer), 'answer does not name the task: ' + answer);
    const line = answer.split('\n').find((l) => /buy milk/i.test(l)) || answer;
    assert(/complete|done|✓|✔/i.test(line), 'answer does not show it completed: ' + answer);
    assert(await alice.page.evaluate(() => window.__noReload === true), 'the page was reloaded');
    await screenshot(alice, 'what-are-my-tasks');
    return 'answer "' + answer.trim().replace(/\n/g, ' / ') + '"';
  });

  await check('alice reloads: still signed in, her conversation comes back from the server', async () => {
    await alice.page.reload();
    await alice.page.locator('#task-list[data-loaded="true"]').waitFor({ state: 'attached' });
    assert(await taskRows(alice.page).count() === 1, 'the dashboard lost the task after a reload');
    await alice.page.getByRole('button', { name: 'Conversations' }).click();
    const threads = alice.page.locator('.thread-link');
    await threads.first().waitFor();
    assert(await threads.count() === 1, 'expected one conversation, found ' + await threads.count());
    await threads.first().click();
    await alice.page.locator('.msg.user').filter({ hasText: 'add a task to buy milk' }).waitFor();
    await alice.page.locator('.msg.user').filter({ hasText: 'what are my tasks' }).waitFor();
    assert(await alice.page.locator('.msg.assistant').count() >= 2, 'the history lacks the answers');
    await screenshot(alice, 'history');
  });

  await check('bob signs in (another browser): none of alice\'s tasks or conversations', async () => {
    bob = await openBrowser('bob');
    await signIn(bob, 'bob');
    assert(await taskRows(bob.page).count() === 0, 'bob sees tasks: ' + await bob.page.locator('#task-list').textContent());
    await bob.page.getByRole('button', { name: 'Conversations' }).click();
    await bob.page.locator('.thread-list li').first().waitFor();
    assert(await bob.page.locator('.thread-link').count() === 0, 'bob sees conversations');
    await bob.page.getByRole('button', { name: 'Conversations' }).click();
    const { status } = await apiAs(bob, 'GET', '/api/tasks/' + encodeURIComponent(milk.id));
    assert(status === 404, 'bob reading alice\'s task by id: ' + status + ', expected 404');
    await screenshot(bob, 'signed-in');
  });

  await check('bob\'s chat "complete buy milk" changes nothing of alice\'s', async () => {
    const answer = await chat(bob, 'complete buy milk');
    assert(await taskRows(bob.page).count() === 0, 'bob\'s dashboard shows a task now');
    const { body } = await apiAs(alice, 'GET', '/api/tasks');
    assert(body.tasks.length === 1, 'alice has ' + body.tasks.length + ' tasks');
    const after = body.tasks[0];
    assert(after.status === 'completed' && after.updated_at === milk.updated_at && after.title === milk.title,
      'alice\'s task changed: ' + JSON.stringify(after) + ' was ' + JSON.stringify(milk));
    // Nothing reached alice's live dashboard either (give a pushed event time to arrive).
    await alice.page.waitForTimeout(500);
    assert(await taskRows(alice.page).count() === 1, 'alice\'s dashboard changed');
    await screenshot(bob, 'complete-buy-milk');
    await screenshot(alice, 'after-bob');
    return 'bob was told "' + answer.trim().replace(/\n/g, ' / ') + '"';
  });

  await check('a server restart: SIGTERM ends it cleanly, the page polls, reconnects and is pushed to again', async () => {
    const port = Number(new URL(base).port);
    const t0 = Date.now();
    const ended = await stopServer();
    assert(ended.code === 0, 'task_bot did not stop cleanly on SIGTERM: ' + JSON.stringify(ended));
    const stopped = Date.now() - t0;
    await alice.page.locator('#live-status[data-state="polling"]').waitFor();
    await screenshot(alice, 'server-down');
    await startServer(port); // same port, same database
    await alice.page.locator('#live-status[data-state="live"]').waitFor({ timeout: 30000 });
    assert(await taskRows(alice.page).count() === 1, 'alice\'s dashboard lost her task over the restart');
    const { status } = await apiAs(alice, 'POST', '/api/tasks', { title: 'call mom', priority: 'high' });
    assert(status === 201, 'POST /api/tasks after the restart: ' + status);
    await taskRows(alice.page).filter({ hasText: 'call mom' }).waitFor({ timeout: PUSH_BOUND_MS });
    await screenshot(alice, 'after-restart');
    return 'stopped in ' + stopped + ' ms';
  });

  await check('alice deletes a task by chat: it leaves her dashboard without reload', async () => {
    const answer = await chat(alice, 'delete call mom');
    await taskRows(alice.page).filter({ hasText: 'call mom' }).waitFor({ state: 'detached', timeout: PUSH_BOUND_MS });
    assert(await taskRows(alice.page).count() === 1, 'expected only buy milk left');
    await screenshot(alice, 'deleted-by-chat');
    return 'answer "' + answer.trim() + '"';
  });

  await check('no JavaScript errors on either page', async () => {
    const errors = sessions.flatMap((s) => s.errors.map((e) => s.name + ': ' + e))
      // A 401/404 the test provoked on purpose is logged by the browser as a failed resource.
      .filter((e) => !/Failed to load resource/.test(e));
    assert(errors.length === 0, errors.join('\n'));
  });
}

async function cleanup() {
  for (const s of sessions) await s.context.close().catch(() => {});
  await stopServer().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}

const overall = setTimeout(() => {
  console.error('browser test: overall time limit reached');
  if (server) server.kill('SIGKILL');
  process.exit(1);
}, Math.max(180000, TIMEOUT * 12));

main()
  .catch((e) => {
    results.push({ name: 'scenario', ok: false });
    console.log('FAILED   ' + String((e && e.stack) || e));
  })
  .finally(async () => {
    await cleanup();
    clearTimeout(overall);
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log('artefacts: ' + artifacts);
    console.log(passed + ' passed, ' + failed + ' failed');
    process.exitCode = failed ? 1 : 0;
  });
