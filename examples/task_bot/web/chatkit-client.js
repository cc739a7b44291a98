/*
 * A small ChatKit client for the task bot's page: no dependencies, no build step.
 *
 *  - SSEParser / readSSE: text/event-stream framing read from a fetch() body. EventSource cannot send an
 *    Authorization header, so every stream of the page (the chat and the dashboard's task events) is a
 *    fetch() whose body is parsed here.
 *  - ChatKitClient: the ChatKit wire protocol over POST /chatkit with a bearer token: JSON requests
 *    (threads.list, threads.get_by_id, items.list) and streamed ones (threads.create,
 *    threads.add_user_message, threads.retry_after_item).
 *  - ChatPanel: the chat UI: thread list, history, streamed assistant text, tool progress, errors.
 *
 * Wire format: docs/protocol-reference.md. The page as a whole: docs/task-bot.md#the-web-page.
 */
(function (global) {
  'use strict';

  // ---------------------------------------------------------------------------------------------
  // Server-sent events
  // ---------------------------------------------------------------------------------------------

  /**
   * Incremental text/event-stream parser. push() takes decoded text in arbitrary pieces; each complete
   * event (terminated by a blank line) is given to onEvent as {event, data, id}. Comment lines (": ping",
   * the heartbeats) go to onComment. Lines end with LF, CRLF or CR, as the SSE format allows.
   */
  class SSEParser {
    constructor(onEvent, onComment) {
      this.onEvent = onEvent;
      this.onComment = onComment || function () {};
      this.buffer = '';
      this.reset();
    }

    reset() {
      this.data = [];
      this.event = '';
      this.id = '';
    }

    push(text) {
      this.buffer += text;
      const buf = this.buffer;
      const eol = /\r\n|\r|\n/g;
      let pos = 0;
      let m;
      while ((m = eol.exec(buf)) !== null) {
        // A CR at the very end may be the first half of a CRLF split across two reads: wait for more.
        if (m[0] === '\r' && m.index === buf.length - 1) break;
        this.line(buf.slice(pos, m.index));
        pos = m.index + m[0].length;
      }
      this.buffer = buf.slice(pos);
    }

    /** The stream ended: a CR held back as a possible half of a CRLF was a line end after all. */
    end() {
      if (this.buffer.endsWith('\r')) this.push('\n');
    }

    line(line) {
      if (line === '') {
        if (this.data.length) this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
        this.data = [];
        this.event = '';
        return;
      }
      if (line[0] === ':') {
        this.onComment(line.slice(1).trim());
        return;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
      // "retry" and unknown fields are ignored: reconnection is the caller's business.
    }
  }

  /** Reads a fetch() Response body as SSE until it ends; onEvent gets each {event, data, id}. */
  async function readSSE(response, onEvent, onComment) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder('utf-8');
    const parser = new SSEParser(onEvent, onComment);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
      parser.end();
    } finally {
      reader.releaseLock();
    }
  }

  /** An Error built from a non-2xx response with the server's JSON error body, if any. */
  async function httpError(response) {
    let message = response.status + ' ' + response.statusText;
    try {
      const text = await response.text();
      try {
        const body = JSON.parse(text);
        const e = body && (body.error || body);
        if (e && typeof e.message === 'string') message = e.message;
        else if (typeof e === 'string') message = e;
      } catch (_) {
        if (text) message = text.slice(0, 300);
      }
    } catch (_) { /* keep the status line */ }
    const err = new Error(message);
    err.status = response.status;
    return err;
  }

  // ---------------------------------------------------------------------------------------------
  // The protocol client
  // ---------------------------------------------------------------------------------------------

  const STREAMING = new Set([
    'threads.create', 'threads.add_user_message', 'threads.add_client_tool_output',
    'threads.add_structured_input', 'threads.custom_action', 'threads.retry_after_item',
  ]);

  class ChatKitClient {
    /** options: url (default '/chatkit'), getToken() → bearer token, onUnauthorized() on any 401. */
    constructor(options) {
      this.url = options.url || '/chatkit';
      this.getToken = options.getToken;
      this.onUnauthorized = options.onUnauthorized || function () {};
    }

    async post(type, params, signal) {
      const headers = { 'Content-Type': 'application/json' };
      const token = this.getToken();
      if (token) headers.Authorization = 'Bearer ' + token;
      headers.Accept = STREAMING.has(type) ? 'text/event-stream' : 'application/json';
      const response = await fetch(this.url, {
        method: 'POST', headers, body: JSON.stringify({ type, params: params || {} }), signal, cache: 'no-store',
      });
      if (response.status === 401) this.onUnauthorized();
      if (!response.ok) throw await httpError(response);
      return response;
    }

    /** A JSON request (threads.list, threads.get_by_id, items.list, ...): resolves to the answer. */
    async request(type, params, signal) {
      const response = await this.post(type, params, signal);
      return response.json();
    }

    /** A streaming request: onEvent(event) for each ChatKit event until the stream ends. */
    async stream(type, params, onEvent, signal) {
      const response = await this.post(type, params, signal);
      await readSSE(response, (frame) => {
        let event;
        try {
          event = JSON.parse(frame.data);
        } catch (_) {
          return; // not ours: ignore rather than break the turn
        }
        onEvent(event);
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The chat panel
  // ---------------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of [].concat(children || [])) {
      if (c !== null && c !== undefined) node.append(c);
    }
    return node;
  }

  const ERROR_TEXT = {
    'stream.error': 'Something went wrong while answering.',
  };

  const TASK_STATUS = { complete: '✓', loading: '…', none: '•' };

  function partsText(content) {
    return (content || []).map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('');
  }

  function userText(item) {
    return (item.content || [])
      .map((c) => (c.type === 'input_tag' ? '@' + (c.text || '') : c.text || ''))
      .join('');
  }

  function widgetText(node, out) {
    if (!node || typeof node !== 'object') return out;
    if (typeof node.value === 'string') out.push(node.value);
    else if (typeof node.label === 'string' && node.type === 'Button') out.push('[' + node.label + ']');
    for (const c of node.children || []) widgetText(c, out);
    return out;
  }

  function formatTime(s) {
    if (!s) return '';
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  class ChatPanel {
    /**
     * root: an element to fill. options: client (ChatKitClient), assistantName, suggestions (strings
     * offered as one-click prompts), threadToggle / newThreadButton (existing buttons to wire up),
     * onError(message).
     */
    constructor(root, options) {
      this.root = root;
      this.client = options.client;
      this.assistantName = options.assistantName || 'Assistant';
      this.suggestions = options.suggestions || [];
      this.threadId = null;
      this.items = new Map(); // item id → {item, node}
      this.abort = null;
      this.lastUserItemId = null;
      this.build(options);
      this.showStart();
    }

    build(options) {
      this.threadPanel = el('div', { class: 'thread-panel', id: 'thread-list-panel', hidden: true }, [
        el('h3', { class: 'visually-hidden', text: 'Conversations' }),
      ]);
      this.threadList = el('ul', { class: 'thread-list', 'aria-label': 'Conversations' });
      this.threadPanel.append(this.threadList);
      this.threadPanel.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') {
          this.setThreadPanel(false);
          if (this.toggle) this.toggle.focus();
        }
      });

      this.log = el('div', {
        class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0',
        'data-testid': 'chat-log',
      });
      this.status = el('p', { class: 'chat-status', role: 'status', 'aria-live': 'polite', hidden: true });
      this.input = el('textarea', {
        id: 'chat-input', rows: '2', placeholder: 'Ask about your tasks…', 'aria-label': 'Message',
        autocomplete: 'off',
      });
      this.sendButton = el('button', { type: 'submit', class: 'button primary', text: 'Send' });
      this.form = el('form', { class: 'composer', 'aria-label': 'Send a message' }, [this.input, this.sendButton]);
      this.root.replaceChildren(this.threadPanel, this.log, this.status, this.form);

      this.form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (this.abort) {
          // While an answer streams the button reads "Stop"; Enter in the text box does not stop it.
          if (e.submitter === this.sendButton) this.abort.abort();
          return;
        }
        const text = this.input.value.trim();
        if (text) this.send(text);
      });
      this.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.form.requestSubmit();
        }
      });

      this.toggle = options.threadToggle || null;
      if (this.toggle) {
        // Properties, not listeners: a panel mounted again after a new sign-in replaces the old handlers.
        this.toggle.onclick = () => this.setThreadPanel(this.threadPanel.hidden);
        this.toggle.setAttribute('aria-expanded', 'false');
      }
      if (options.newThreadButton) options.newThreadButton.onclick = () => this.newThread();
    }

    setThreadPanel(open) {
      this.threadPanel.hidden = !open;
      if (this.toggle) this.toggle.setAttribute('aria-expanded', String(open));
      if (open) {
        this.refreshThreads().then(() => {
          const first = this.threadList.querySelector('button');
          if (first && !this.threadPanel.hidden) first.focus();
        });
      }
    }

    // --- threads --------------------------------------------------------------------------------

    async refreshThreads() {
      let page;
      try {
        page = await this.client.request('threads.list', { limit: 30, order: 'desc' });
      } catch (e) {
        this.threadList.replaceChildren(el('li', { class: 'muted', text: 'Could not load conversations: ' + e.message }));
        return;
      }
      const rows = (page.data || []).map((t) => {
        const current = t.id === this.threadId;
        return el('li', null, el('button', {
          type: 'button', class: 'thread-link', 'data-thread-id': t.id, 'aria-current': current ? 'true' : null,
          onclick: () => {
            this.setThreadPanel(false);
            this.openThread(t.id);
          },
        }, [
          el('span', { class: 'thread-title', text: t.title || 'Untitled conversation' }),
          el('span', { class: 'thread-time', text: formatTime(t.created_at) }),
        ]));
      });
      if (!rows.length) rows.push(el('li', { class: 'muted', text: 'No conversations yet.' }));
      this.threadList.replaceChildren(...rows);
    }

    newThread() {
      if (this.abort) this.abort.abort();
      this.threadId = null;
      this.setThreadPanel(false);
      this.showStart();
      this.input.focus();
    }

    async openThread(id) {
      if (this.abort) this.abort.abort();
      this.clear();
      this.threadId = id;
      this.setStatus('Loading conversation…');
      try {
        const thread = await this.client.request('threads.get_by_id', { thread_id: id });
        let page = thread.items || { data: [], has_more: false };
        for (const item of page.data || []) this.upsert(item, true);
        // The first page comes with the thread; later pages (oldest first) through items.list.
        for (let n = 0; page.has_more && page.after && n < 20; n++) {
          page = await this.client.request('items.list', { thread_id: id, after: page.after, order: 'asc', limit: 50 });
          for (const item of page.data || []) this.upsert(item, true);
        }
        this.setStatus('');
        this.scroll();
      } catch (e) {
        this.setStatus('');
        this.notice('error', 'Could not open the conversation: ' + e.message);
      }
    }

    // --- sending --------------------------------------------------------------------------------

    async send(text) {
      this.input.value = '';
      const start = this.log.querySelector('.start');
      if (start) start.remove();
      const pending = this.bubble('user', 'You', text);
      pending.classList.add('pending');
      this.log.append(pending);
      this.scroll();
      const input = { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} };
      const params = this.threadId ? { thread_id: this.threadId, input } : { input };
      await this.run(this.threadId ? 'threads.add_user_message' : 'threads.create', params, pending);
    }

    async retry() {
      if (!this.threadId || !this.lastUserItemId) return;
      await this.run('threads.retry_after_item', { thread_id: this.threadId, item_id: this.lastUserItemId }, null);
    }

    async run(type, params, pending) {
      this.abort = new AbortController();
      this.pending = pending;
      this.setBusy(true);
      this.setStatus('Thinking…'); // until the answer starts or the server reports progress
      try {
        await this.client.stream(type, params, (event) => this.onEvent(event), this.abort.signal);
      } catch (e) {
        if (e.name === 'AbortError') this.notice('info', 'Stopped.');
        else this.notice('error', e.message || String(e));
        if (this.pending) this.pending.classList.add('failed');
      } finally {
        this.abort = null;
        this.pending = null;
        this.setBusy(false);
        this.setStatus('');
        for (const { node } of this.items.values()) node.removeAttribute('aria-busy');
        if (!this.threadPanel.hidden) this.refreshThreads();
      }
    }

    setBusy(busy) {
      this.sendButton.textContent = busy ? 'Stop' : 'Send';
      this.sendButton.classList.toggle('danger', busy);
      this.root.dataset.busy = busy ? 'true' : 'false';
      // Back to the text box when the answer ends, unless the user has moved elsewhere meanwhile.
      const at = document.activeElement;
      if (!busy && (!at || at === document.body || this.root.contains(at))) this.input.focus();
    }

    // --- the stream -----------------------------------------------------------------------------

    onEvent(ev) {
      switch (ev.type) {
        case 'thread.created':
          this.threadId = ev.thread.id;
          this.root.dataset.threadId = ev.thread.id;
          break;
        case 'thread.updated':
          if (ev.thread && !this.threadPanel.hidden) this.refreshThreads();
          break;
        case 'thread.item.added':
          this.setStatus('');
          this.upsert(ev.item, false);
          break;
        case 'thread.item.done':
        case 'thread.item.replaced':
          this.upsert(ev.item, true);
          break;
        case 'thread.item.updated':
          this.update(ev.item_id, ev.update);
          break;
        case 'thread.item.removed': {
          const entry = this.items.get(ev.item_id);
          if (entry) entry.node.remove();
          this.items.delete(ev.item_id);
          break;
        }
        case 'progress_update':
          this.setStatus(ev.text || 'Working…');
          break;
        case 'error':
          this.setStatus('');
          this.notice('error', ev.message || ERROR_TEXT[ev.code] || 'Error: ' + ev.code, ev.allow_retry);
          break;
        case 'notice':
          this.notice(ev.level || 'info', (ev.title ? ev.title + ': ' : '') + ev.message);
          break;
        default:
          // stream_options, client_effect and anything newer: nothing to show.
          break;
      }
      this.scroll();
    }

    upsert(item, done) {
      if (!item || !item.id) return;
      const view = this.render(item);
      if (!view) {
        this.items.delete(item.id);
        return;
      }
      if (item.type === 'user_message') {
        this.lastUserItemId = item.id;
        if (this.pending) {
          this.pending.remove();
          this.pending = null;
        }
      }
      if (!done) view.setAttribute('aria-busy', 'true');
      const old = this.items.get(item.id);
      if (old) old.node.replaceWith(view);
      else this.log.append(view);
      this.items.set(item.id, { item, node: view });
    }

    update(id, u) {
      const entry = this.items.get(id);
      if (!entry || !u) return;
      const item = entry.item;
      switch (u.type) {
        case 'assistant_message.content_part.added':
        case 'assistant_message.content_part.done':
          item.content = item.content || [];
          item.content[u.content_index] = u.content;
          break;
        case 'assistant_message.content_part.text_delta': {
          item.content = item.content || [];
          const part = item.content[u.content_index] || { type: 'output_text', text: '', annotations: [] };
          part.text = (part.text || '') + (u.delta || '');
          item.content[u.content_index] = part;
          break;
        }
        case 'workflow.task.added':
        case 'workflow.task.updated':
          item.workflow = item.workflow || { type: 'custom', tasks: [] };
          item.workflow.tasks = item.workflow.tasks || [];
          if (u.type === 'workflow.task.added') item.workflow.tasks.splice(u.task_index, 0, u.task);
          else item.workflow.tasks[u.task_index] = u.task;
          break;
        default:
          return; // widget and image updates: shown when the item is done
      }
      const view = this.render(item);
      view.setAttribute('aria-busy', 'true');
      entry.node.replaceWith(view);
      entry.node = view;
    }

    render(item) {
      switch (item.type) {
        case 'user_message':
          return this.bubble('user', 'You', userText(item), item);
        case 'assistant_message':
          return this.bubble('assistant', this.assistantName, partsText(item.content), item);
        case 'workflow':
          return this.workflow(item);
        case 'task':
          return this.workflow({ id: item.id, type: 'task', workflow: { tasks: [item.task] } });
        case 'widget': {
          const text = item.copy_text || widgetText(item.widget, []).join('\n');
          return this.bubble('assistant', this.assistantName, text || '(widget)', item);
        }
        case 'generated_image':
          return this.bubble('assistant', this.assistantName, '(image)', item);
        default:
          return null; // end_of_turn, hidden context, client tool calls
      }
    }

    bubble(role, who, text, item) {
      return el('article', {
        class: 'msg ' + role, 'data-role': role, 'data-item-id': item ? item.id : null,
        'aria-label': who,
      }, [
        el('span', { class: 'who', text: who }),
        el('div', { class: 'text', text }),
      ]);
    }

    workflow(item) {
      const wf = item.workflow || {};
      const tasks = wf.tasks || [];
      const summary = wf.summary || {};
      const running = tasks.some((t) => t.status_indicator === 'loading');
      const title = summary.title
        || (typeof summary.duration === 'number' ? 'Worked for ' + summary.duration + ' s' : null)
        || (running ? 'Working…' : tasks.length === 1 && tasks[0].title ? tasks[0].title : 'Tool activity');
      const list = el('ol', { class: 'wf-tasks' }, tasks.map((t) => el('li', { 'data-status': t.status_indicator || 'none' }, [
        el('span', { class: 'wf-icon', 'aria-hidden': 'true', text: TASK_STATUS[t.status_indicator] || '•' }),
        el('span', { class: 'wf-title', text: t.title || (t.type === 'thought' ? 'Thinking' : 'Step') }),
        t.content ? el('span', { class: 'wf-content', text: t.content }) : null,
      ])));
      const details = el('details', { class: 'workflow', 'data-item-id': item.id, 'data-role': 'workflow' }, [
        el('summary', { text: title }), list,
      ]);
      if (wf.expanded || running) details.open = true;
      return details;
    }

    notice(level, text, allowRetry) {
      const node = el('div', { class: 'notice ' + level, role: level === 'error' ? 'alert' : null, 'data-role': 'notice' }, [
        el('span', { text }),
      ]);
      if (allowRetry && this.lastUserItemId) {
        node.append(el('button', {
          type: 'button', class: 'button ghost small', text: 'Retry',
          onclick: () => {
            node.remove();
            this.retry();
          },
        }));
      }
      this.log.append(node);
      this.scroll();
    }

    setStatus(text) {
      this.status.textContent = text;
      this.status.hidden = !text;
    }

    clear() {
      this.items.clear();
      this.lastUserItemId = null;
      this.log.replaceChildren();
      delete this.root.dataset.threadId;
    }

    showStart() {
      this.clear();
      const chips = this.suggestions.map((s) => el('li', null, el('button', {
        type: 'button', class: 'chip', text: s,
        onclick: () => {
          if (!this.abort) this.send(s);
        },
      })));
      this.log.append(el('div', { class: 'start' }, [
        el('p', { text: 'Ask me to add, list, change, complete or delete your tasks.' }),
        chips.length ? el('ul', { class: 'chips', 'aria-label': 'Try' }, chips) : null,
      ]));
    }

    scroll() {
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  global.TaskBotChat = { SSEParser, readSSE, httpError, ChatKitClient, ChatPanel };
})(window);
