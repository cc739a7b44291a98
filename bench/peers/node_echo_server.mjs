// The Node ChatKit SDK (chatkit-node-backend-sdk) serving the bench bot of examples/echo_server over node:http,
// for the side-by-side yardstick of bench/peers/run.sh. Only what the bench drives is implemented: `stream N`
// (one assistant message of N "tok " deltas), the echo of any other text, the thread title (first 20 code
// points of the first message), threads.list, and an in-memory store scoped per user (X-User-Id).
//
//   node bench/peers/node_echo_server.mjs PORT
import http from 'node:http';
import { ChatKitServer, Store } from 'chatkit-node-backend-sdk';

const port = Number(process.argv[2] || 8100);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
console.log = () => {};  // the SDK prints every threads.create's params; nothing is logged by either server

class MemoryStore extends Store {
  constructor() {
    super();
    this.threads = new Map();     // id -> { owner, meta, items: [] }
    this.userThreads = new Map(); // user -> [thread id] in creation order
    this.attachments = new Map();
  }
  owned(id, ctx) {
    const t = this.threads.get(id);
    if (!t || t.owner !== ctx.userId) throw new Error(`thread ${id} not found`);
    return t;
  }
  async loadThread(id, ctx) { return { ...this.owned(id, ctx).meta }; }
  async saveThread(thread, ctx) {
    const t = this.threads.get(thread.id);
    if (t) { if (t.owner !== ctx.userId) throw new Error('not found'); t.meta = { ...thread }; return; }
    this.threads.set(thread.id, { owner: ctx.userId, meta: { ...thread }, items: [] });
    let list = this.userThreads.get(ctx.userId);
    if (!list) this.userThreads.set(ctx.userId, (list = []));
    list.push(thread.id);
  }
  async loadThreads(limit, after, order, ctx) {
    const ids = this.userThreads.get(ctx.userId) || [];
    const ordered = order === 'asc' ? ids : [...ids].reverse();
    let start = 0;
    if (after) start = ordered.indexOf(after) + 1;
    const slice = ordered.slice(start, start + limit);
    const hasMore = start + limit < ordered.length;
    return {
      data: slice.map((id) => ({ ...this.threads.get(id).meta })),
      has_more: hasMore,
      after: hasMore ? slice[slice.length - 1] : null,
    };
  }
  async deleteThread(id, ctx) {
    this.owned(id, ctx);
    this.threads.delete(id);
    const list = this.userThreads.get(ctx.userId);
    list.splice(list.indexOf(id), 1);
  }
  async loadThreadItems(threadId, after, limit, order, ctx) {
    const items = this.owned(threadId, ctx).items;
    const ordered = order === 'asc' ? items : [...items].reverse();
    let start = 0;
    if (after) start = ordered.findIndex((i) => i.id === after) + 1;
    const slice = ordered.slice(start, start + limit);
    const hasMore = start + limit < ordered.length;
    return { data: slice, has_more: hasMore, after: hasMore ? slice[slice.length - 1].id : null };
  }
  async addThreadItem(threadId, item, ctx) { this.owned(threadId, ctx).items.push(item); }
  async saveItem(threadId, item, ctx) {
    const items = this.owned(threadId, ctx).items;
    const i = items.findIndex((x) => x.id === item.id);
    if (i < 0) items.push(item); else items[i] = item;
  }
  async loadItem(threadId, itemId, ctx) {
    const item = this.owned(threadId, ctx).items.find((x) => x.id === itemId);
    if (!item) throw new Error('item not found');
    return item;
  }
  async deleteThreadItem(threadId, itemId, ctx) {
    const items = this.owned(threadId, ctx).items;
    const i = items.findIndex((x) => x.id === itemId);
    if (i >= 0) items.splice(i, 1);
  }
  async saveAttachment(a, ctx) { this.attachments.set(a.id, { owner: ctx.userId, a }); }
  async loadAttachment(id, ctx) {
    const e = this.attachments.get(id);
    if (!e || e.owner !== ctx.userId) throw new Error('attachment not found');
    return e.a;
  }
  async deleteAttachment(id) { this.attachments.delete(id); }
}

// The bench bot: the same answers as examples/echo_server/echo_bot.cpp for the texts the bench sends.
class EchoBot extends ChatKitServer {
  async *respond(thread, userMessage, ctx) {
    const text = userMessage
      ? userMessage.content.filter((c) => c.type === 'input_text').map((c) => c.text).join('')
      : '';
    if (!thread.title) thread.title = Array.from(text).slice(0, 20).join('');
    const m = /^stream ([0-9]+)$/.exec(text);
    const n = m ? Number(m[1]) : 0;
    const deltas = n > 0 ? Array(n).fill('tok ') : thirds(`You said: ${text}`);
    const msg = {
      type: 'assistant_message',
      id: this.store.generateItemId('message', thread, ctx),
      thread_id: thread.id,
      created_at: new Date().toISOString(),
      content: [],
    };
    yield { type: 'thread.item.added', item: msg };
    yield {
      type: 'thread.item.updated',
      item_id: msg.id,
      update: {
        type: 'assistant_message.content_part.added',
        content_index: 0,
        content: { type: 'output_text', text: '', annotations: [] },
      },
    };
    let full = '';
    for (const delta of deltas) {
      yield {
        type: 'thread.item.updated',
        item_id: msg.id,
        update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta },
      };
      full += delta;
    }
    const part = { type: 'output_text', text: full, annotations: [] };
    yield {
      type: 'thread.item.updated',
      item_id: msg.id,
      update: { type: 'assistant_message.content_part.done', content_index: 0, content: part },
    };
    yield { type: 'thread.item.done', item: { ...msg, content: [part] } };
  }
}

function thirds(s) {
  const cps = Array.from(s);
  const n = cps.length;
  const a = Math.floor(n / 3), b = Math.floor((2 * n) / 3);
  return [cps.slice(0, a).join(''), cps.slice(a, b).join(''), cps.slice(b).join('')];
}

const bot = new EchoBot(new MemoryStore(), undefined, quiet);

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/chatkit') {
    res.writeHead(404).end();
    return;
  }
  const user = req.headers['x-user-id'];
  if (!user) {
    res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"no user"}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const result = await bot.process(Buffer.concat(chunks), { userId: user });
      if (result.isStreaming) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        for await (const chunk of result) res.write(chunk);
        res.end();
      } else {
        const body = result.toString();
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      }
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: String(e && e.message) }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`node_echo_server: listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
