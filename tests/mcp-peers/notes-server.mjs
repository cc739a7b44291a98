// A notes server keyed by user_id (TS SDK v2, stdio, dual-era): the binding tests import it with user_id bound to
// the signed-in user. list_notes answers only the notes of the user_id it is given; whoami echoes its arguments.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
const notes = new Map();
serveStdio(() => {
  const s = new McpServer({ name: 'notes-peer', version: '0.1.0' }, { capabilities: { tools: {} } });
  s.registerTool('add_note', { description: 'Save a note for the user',
    inputSchema: z.object({ user_id: z.string(), text: z.string() }) },
    async ({ user_id, text }) => {
      const list = notes.get(user_id) ?? [];
      list.push(text);
      notes.set(user_id, list);
      return { content: [{ type: 'text', text: `saved (${list.length} notes)` }] };
    });
  s.registerTool('list_notes', { description: "List the user's notes",
    inputSchema: z.object({ user_id: z.string() }) },
    async ({ user_id }) => ({ content: [{ type: 'text', text: JSON.stringify(notes.get(user_id) ?? []) }] }));
  s.registerTool('whoami', { description: 'Echo the arguments', inputSchema: z.object({ user_id: z.string() }) },
    async (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }));
  return s;
});
