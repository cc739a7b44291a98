#!/usr/bin/env node
/*
 * The page's SSE parser (examples/task_bot/web/chatkit-client.js) without a browser: frames split at every
 * possible byte, LF / CRLF / CR line ends, comments (heartbeats), multi-line data, fields without a space.
 * Prints "N passed, M failed"; non-zero exit on failure.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const source = path.join(__dirname, '..', '..', 'examples', 'task_bot', 'web', 'chatkit-client.js');
const sandbox = { window: {}, TextDecoder, console };
vm.runInNewContext(fs.readFileSync(source, 'utf8'), sandbox, { filename: source });
const { SSEParser } = sandbox.window.TaskBotChat;

let passed = 0;
let failed = 0;
function same(actual, expected, name) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a === e) {
    passed += 1;
  } else {
    failed += 1;
    console.log('FAILED ' + name + '\n  got      ' + a + '\n  expected ' + e);
  }
}

// Feeds `text` in pieces cut at `cuts`; returns [events, comments].
function parse(text, cuts) {
  const events = [];
  const comments = [];
  const p = new SSEParser((e) => events.push(e), (c) => comments.push(c));
  let at = 0;
  for (const cut of [...(cuts || []), text.length]) {
    p.push(text.slice(at, cut));
    at = cut;
  }
  p.end();
  return [events, comments];
}

const stream = 'retry: 2000\n\n: connected\n\ndata: {"type":"task.created"}\n\n: ping\n\n'
  + 'data: {"type":"task.updated",\ndata: "n":1}\n\nevent: custom\nid: 7\ndata:x\n\n';
const want = [
  { event: 'message', data: '{"type":"task.created"}', id: '' },
  { event: 'message', data: '{"type":"task.updated",\n"n":1}', id: '' },
  { event: 'custom', data: 'x', id: '7' },
];
same(parse(stream), [want, ['connected', 'ping']], 'whole stream');

// Every split point, with each line-end convention.
for (const [name, eol] of [['LF', '\n'], ['CRLF', '\r\n'], ['CR', '\r']]) {
  const text = stream.replace(/\n/g, eol);
  let ok = true;
  for (let i = 0; i <= text.length && ok; i++) {
    const got = JSON.stringify(parse(text, [i]));
    if (got !== JSON.stringify([want, ['connected', 'ping']])) {
      ok = false;
      same(JSON.parse(got), [want, ['connected', 'ping']], name + ' split at ' + i);
    }
  }
  if (ok) passed += 1;
}

// One character at a time.
same(parse(stream.replace(/\n/g, '\r\n'), [...Array(stream.length * 2).keys()]), [want, ['connected', 'ping']], 'byte by byte');

// An event without its blank line is not delivered; data with a colon inside is kept whole.
same(parse('data: a\n'), [[], []], 'unterminated event');
same(parse('data: {"a":"b:c"}\n\n')[0][0].data, '{"a":"b:c"}', 'colon in data');
same(parse('data\n\n')[0][0].data, '', 'field without value');

console.log(passed + ' passed, ' + failed + ' failed');
process.exitCode = failed ? 1 : 0;
