/*
 * The task bot's page: sign-in, the task dashboard kept live by GET /api/tasks/events, and the chat.
 * How the pieces fit: docs/task-bot.md#the-web-page.
 */
(function () {
  'use strict';

  const { ChatKitClient, ChatPanel, readSSE, httpError } = window.TaskBotChat;

  // Where the API lives. Empty: the same origin as the page (the binary serves both). A front end hosted
  // elsewhere (docs/deployment.md#render-and-vercel) sets <meta name="task-bot-api" content="https://...">.
  const meta = document.querySelector('meta[name="task-bot-api"]');
  const API = meta && meta.content ? meta.content.replace(/\/+$/, '') : '';
  const CHATKIT_CDN = 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js';
  const TOKEN_KEY = 'task_bot.token';
  const NAME_KEY = 'task_bot.name';
  const POLL_MS = 3000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const STREAM_SILENCE_MS = 60000; // no byte (event or heartbeat) for this long: the stream is dead
  const DEMO_PROMPTS = [
    'add a task to buy milk tomorrow, high priority',
    'what are my tasks',
    'complete buy milk',
    'list my completed tasks',
  ];

  const $ = (id) => document.getElementById(id);
  const state = {
    config: { demo_model: false, demo_auth: false, domain_key: null },
    tasks: new Map(), // id → task
    filter: 'all',
    gen: 0, // bumps on sign-in/out: late answers of an old session are dropped
    stream: null, // {controller, timer}
    backoff: BACKOFF_MIN_MS,
    pollTimer: null,
    loading: null, // events seen while GET /api/tasks is in flight, re-applied over its answer
    loadError: false, // the dashboard's error line shows a failed GET /api/tasks
    chat: null,
  };

  // --- auth -------------------------------------------------------------------------------------

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function jwtSubject(jwt) {
    try {
      const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(payload)).sub || null;
    } catch (_) {
      return null;
    }
  }

  function expired(message) {
    signOut(message || 'Your session has ended. Please sign in again.');
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(API + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
      });
    } catch (_) {
      throw new Error('The server cannot be reached; try again in a moment.'); // instead of "Failed to fetch"
    }
    if (response.status === 401 && t) expired();
    if (!response.ok) throw await httpError(response);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  async function demoLogin(name) {
    const answer = await api('POST', '/api/auth/demo-login', { name });
    if (!answer || !answer.token) throw new Error('The server gave no token.');
    return answer;
  }

  function signIn(jwt, name) {
    sessionStorage.setItem(TOKEN_KEY, jwt);
    sessionStorage.setItem(NAME_KEY, name || jwtSubject(jwt) || 'you');
    start();
  }

  function signOut(message) {
    state.gen++;
    stopEvents();
    stopPolling();
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
    state.tasks.clear();
    renderTasks();
    if (state.chat && state.chat.abort) state.chat.abort.abort(); // a turn still streaming
    state.chat = null;
    $('chat-root').replaceChildren();
    showSignIn(message);
  }

  function showSignIn(message) {
    $('workspace').hidden = true;
    $('session').hidden = true;
    $('signin').hidden = false;
    const demo = state.config.demo_auth;
    $('demo-login').hidden = !demo;
    $('token-login').hidden = demo;
    $('signin-error').textContent = message || '';
    (demo ? $('login-name') : $('login-token')).focus();
  }

  // --- tasks ------------------------------------------------------------------------------------

  function newestFirst(a, b) {
    const ca = String(a.created_at || '');
    const cb = String(b.created_at || '');
    if (ca !== cb) return ca < cb ? 1 : -1;
    const ia = Number(a.id);
    const ib = Number(b.id);
    if (!Number.isNaN(ia) && !Number.isNaN(ib)) return ib - ia;
    return String(b.id).localeCompare(String(a.id));
  }

  function dueLabel(date) {
    if (!date) return null;
    const today = new Date();
    const iso = (d) => d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
    const tomorrow = new Date(today.getTime() + 86400000);
    if (date === iso(today)) return 'due today';
    if (date === iso(tomorrow)) return 'due tomorrow';
    return 'due ' + date;
  }

  function overdue(task) {
    if (!task.due_date || task.status === 'completed') return false;
    const now = new Date();
    const today = now.getFullYear() + '-' + String(now.getMonth() + 1).padStart(2, '0') + '-' + String(now.getDate()).padStart(2, '0');
    return task.due_date < today;
  }

  function taskRow(task, flash) {
    const id = String(task.id);
    const done = task.status === 'completed';
    const li = document.createElement('li');
    li.className = 'task' + (done ? ' done' : '') + (flash ? ' flash' : '');
    li.dataset.taskId = id;
    li.dataset.status = task.status;
    li.dataset.priority = task.priority || 'medium';

    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = 'task-done-' + id;
    box.checked = done;
    box.setAttribute('aria-label', (done ? 'Mark as pending: ' : 'Complete: ') + task.title);
    box.addEventListener('change', () => setCompleted(task, box.checked));

    const body = document.createElement('div');
    body.className = 'task-body';
    const title = document.createElement('label');
    title.className = 'task-title';
    title.htmlFor = box.id;
    title.textContent = task.title;
    body.append(title);
    if (task.description) {
      const d = document.createElement('p');
      d.className = 'task-desc';
      d.textContent = task.description;
      body.append(d);
    }
    const metaRow = document.createElement('p');
    metaRow.className = 'task-meta';
    const prio = document.createElement('span');
    prio.className = 'pill prio-' + (task.priority || 'medium');
    prio.textContent = (task.priority || 'medium') + ' priority';
    metaRow.append(prio);
    const due = dueLabel(task.due_date);
    if (due) {
      const s = document.createElement('span');
      s.className = 'pill due' + (overdue(task) ? ' overdue' : '');
      s.textContent = due + (overdue(task) ? ' (overdue)' : '');
      metaRow.append(s);
    }
    const st = document.createElement('span');
    st.className = 'pill status-' + task.status;
    st.textContent = done ? 'completed' : 'pending';
    metaRow.append(st);
    body.append(metaRow);

    const del = document.createElement('button');
    del.type = 'button';
    del.id = 'task-del-' + id;
    del.className = 'icon-button';
    del.setAttribute('aria-label', 'Delete: ' + task.title);
    del.title = 'Delete';
    del.textContent = '×';
    del.addEventListener('click', () => removeTask(task));

    li.append(box, body, del);
    return li;
  }

  let flashed = new Set();

  function renderTasks() {
    const all = [...state.tasks.values()].sort(newestFirst);
    const shown = state.filter === 'all' ? all : all.filter((t) => t.status === state.filter);
    // Rows are rebuilt on every change; keyboard focus stays on the same control if it still exists.
    const focused = $('task-list').contains(document.activeElement) ? document.activeElement.id : null;
    $('task-list').replaceChildren(...shown.map((t) => taskRow(t, flashed.has(String(t.id)))));
    if (focused && $(focused)) $(focused).focus();
    flashed = new Set();
    $('task-empty').hidden = shown.length > 0;
    const open = all.filter((t) => t.status !== 'completed').length;
    $('task-count').textContent = all.length ? open + ' open · ' + (all.length - open) + ' done' : '';
  }

  function applyEvent(ev) {
    if (!ev || !ev.task || ev.task.id === undefined) return;
    const id = String(ev.task.id);
    if (ev.type === 'task.deleted') state.tasks.delete(id);
    else if (ev.type === 'task.created' || ev.type === 'task.updated') state.tasks.set(id, ev.task);
    else return;
    flashed.add(id);
  }

  async function loadTasks() {
    const gen = state.gen;
    const seen = [];
    state.loading = seen;
    try {
      const answer = await api('GET', '/api/tasks');
      if (gen !== state.gen) return;
      state.tasks = new Map((answer.tasks || []).map((t) => [String(t.id), t]));
      for (const ev of seen) applyEvent(ev); // changes that raced the snapshot
      renderTasks();
      $('task-list').dataset.loaded = 'true';
      if (state.loadError) $('task-error').textContent = '';
      state.loadError = false;
    } catch (e) {
      // While the server is unreachable the live indicator already says so; polling will catch up.
      const down = $('live-status').dataset.state === 'polling';
      if (gen === state.gen && e.status !== 401 && !down) {
        $('task-error').textContent = 'Could not load tasks: ' + e.message;
        state.loadError = true;
      }
    } finally {
      if (state.loading === seen) state.loading = null;
    }
  }

  function upsertLocal(task) {
    if (!task) return;
    state.tasks.set(String(task.id), task);
    renderTasks();
  }

  async function addTask(form) {
    const title = form.title.value.trim();
    if (!title) return;
    const body = { title, priority: form.priority.value };
    if (form.due_date.value) body.due_date = form.due_date.value;
    $('task-error').textContent = '';
    try {
      upsertLocal(await api('POST', '/api/tasks', body));
      form.title.value = '';
      form.due_date.value = '';
      form.title.focus();
    } catch (e) {
      $('task-error').textContent = e.message;
    }
  }

  async function setCompleted(task, completed) {
    const id = encodeURIComponent(task.id);
    $('task-error').textContent = '';
    try {
      const answer = completed
        ? await api('POST', '/api/tasks/' + id + '/complete')
        : await api('PATCH', '/api/tasks/' + id, { status: 'pending' });
      upsertLocal(answer);
    } catch (e) {
      $('task-error').textContent = e.message;
      renderTasks(); // put the checkbox back
    }
  }

  async function removeTask(task) {
    $('task-error').textContent = '';
    try {
      await api('DELETE', '/api/tasks/' + encodeURIComponent(task.id));
      state.tasks.delete(String(task.id));
      renderTasks();
    } catch (e) {
      $('task-error').textContent = e.message;
    }
  }

  // --- live updates: GET /api/tasks/events, polling while it is down ---------------------------

  const LIVE_TEXT = {
    connecting: 'Connecting…',
    live: 'Live',
    polling: 'Reconnecting · refreshing every few seconds',
  };

  function setLive(s) {
    const node = $('live-status');
    node.dataset.state = s;
    node.textContent = LIVE_TEXT[s];
  }

  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = setInterval(loadTasks, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  function stopEvents() {
    if (state.stream) {
      clearTimeout(state.stream.timer);
      clearTimeout(state.stream.retry);
      state.stream.controller.abort();
    }
    state.stream = null;
  }

  async function connectEvents() {
    stopEvents();
    const gen = state.gen;
    const controller = new AbortController();
    const stream = { controller, timer: null, retry: null };
    state.stream = stream;
    const watchdog = () => {
      clearTimeout(stream.timer);
      stream.timer = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
    };
    try {
      watchdog();
      const response = await fetch(API + '/api/tasks/events', {
        headers: { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' },
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        expired();
        return;
      }
      if (!response.ok) throw await httpError(response);
      setLive('live');
      stopPolling();
      state.backoff = BACKOFF_MIN_MS;
      loadTasks(); // whatever changed while we were away
      await readSSE(response, (frame) => {
        watchdog();
        let ev;
        try {
          ev = JSON.parse(frame.data);
        } catch (_) {
          return;
        }
        if (!ev.type && frame.event) ev.type = frame.event;
        if (state.loading) state.loading.push(ev);
        applyEvent(ev);
        renderTasks();
      }, watchdog);
    } catch (e) {
      if (state.stream !== stream) return; // stopped on purpose
    } finally {
      clearTimeout(stream.timer);
    }
    if (state.stream !== stream || gen !== state.gen) return;
    // The stream ended or failed: poll until it is back, retry with exponential backoff and jitter.
    setLive('polling');
    startPolling();
    const delay = state.backoff * (0.75 + Math.random() / 2);
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    stream.retry = setTimeout(() => {
      if (state.stream === stream) connectEvents();
    }, delay);
  }

  // --- chat -------------------------------------------------------------------------------------

  function mountChat() {
    const root = $('chat-root');
    if (state.config.domain_key) {
      mountOfficialChatKit(root);
      return;
    }
    mountOwnChat(root);
  }

  function mountOwnChat(root) {
    const client = new ChatKitClient({ url: API + '/chatkit', getToken: token, onUnauthorized: () => expired() });
    state.chat = new ChatPanel(root, {
      client,
      assistantName: state.config.demo_model ? 'Assistant · demo model' : 'Assistant',
      suggestions: state.config.demo_model ? DEMO_PROMPTS : [],
      threadToggle: $('history-toggle'),
      newThreadButton: $('new-thread'),
    });
  }

  // Production: OpenAI's ChatKit web component, loaded from OpenAI's CDN, talking to our /chatkit with
  // the user's bearer token. The domain key proves to OpenAI that this page's domain is registered
  // (docs/deployment.md#openai-domain-allowlist). Cannot run offline, so the tests use the panel above.
  function mountOfficialChatKit(root) {
    $('chat-actions').hidden = true; // the component has its own history and new-chat buttons
    root.classList.add('official');
    root.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Loading ChatKit…' }));
    if (!document.querySelector('script[data-chatkit-cdn]')) {
      const script = document.createElement('script');
      script.src = CHATKIT_CDN;
      script.async = true;
      script.dataset.chatkitCdn = '';
      script.addEventListener('error', () => {
        const fallback = Object.assign(document.createElement('button'), {
          type: 'button', className: 'button ghost small', textContent: 'Use the built-in chat',
        });
        fallback.addEventListener('click', () => {
          root.classList.remove('official');
          $('chat-actions').hidden = false;
          mountOwnChat(root);
        });
        const note = Object.assign(document.createElement('div'), { className: 'notice error' });
        note.append(Object.assign(document.createElement('span'), {
          textContent: 'Could not load ChatKit from ' + CHATKIT_CDN + ' (offline, or blocked).',
        }), fallback);
        root.replaceChildren(note);
      });
      document.head.append(script);
    }
    customElements.whenDefined('openai-chatkit').then(() => {
      const chatkit = document.createElement('openai-chatkit');
      chatkit.setOptions({
        api: {
          url: (API || location.origin) + '/chatkit',
          domainKey: state.config.domain_key,
          fetch(input, init) {
            const headers = new Headers((init && init.headers) || {});
            headers.set('Authorization', 'Bearer ' + token());
            return fetch(input, Object.assign({}, init, { headers }));
          },
        },
        history: { enabled: true },
        composer: { placeholder: 'Ask about your tasks…' },
        startScreen: {
          greeting: 'What should we get done?',
          prompts: DEMO_PROMPTS.slice(0, 3).map((p) => ({ label: p, prompt: p })),
        },
      });
      root.replaceChildren(chatkit);
    });
  }

  // --- start ------------------------------------------------------------------------------------

  function start() {
    state.gen++;
    $('signin').hidden = true;
    $('workspace').hidden = false;
    $('session').hidden = false;
    $('user-name').textContent = sessionStorage.getItem(NAME_KEY) || jwtSubject(token()) || '';
    const at = document.activeElement;
    if (!at || at === document.body || $('signin').contains(at)) $('new-title').focus(); // off the hidden form
    $('task-error').textContent = '';
    state.tasks.clear();
    renderTasks();
    delete $('task-list').dataset.loaded;
    setLive('connecting');
    loadTasks();
    connectEvents();
    mountChat();
  }

  async function loadConfig() {
    try {
      const response = await fetch(API + '/api/config', { cache: 'no-store' });
      if (response.ok) Object.assign(state.config, await response.json());
    } catch (_) { /* keep the defaults: token sign-in, our own chat */ }
    $('demo-banner').hidden = !state.config.demo_model;
    $('demo-badge').hidden = !state.config.demo_model;
    document.body.dataset.demoModel = String(!!state.config.demo_model);
  }

  function wire() {
    $('demo-login').addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = $('login-name').value.trim();
      const button = e.target.querySelector('button');
      button.disabled = true;
      $('signin-error').textContent = '';
      try {
        const answer = await demoLogin(name);
        signIn(answer.token, answer.user_id || name);
      } catch (err) {
        $('signin-error').textContent = 'Sign-in failed: ' + err.message;
      } finally {
        button.disabled = false;
      }
    });
    $('token-login').addEventListener('submit', (e) => {
      e.preventDefault();
      const jwt = $('login-token').value.trim();
      if (jwt) signIn(jwt.replace(/^Bearer\s+/i, ''));
    });
    $('sign-out').addEventListener('click', () => signOut());
    $('add-task').addEventListener('submit', (e) => {
      e.preventDefault();
      addTask(e.target);
    });
    for (const radio of document.querySelectorAll('input[name="filter"]')) {
      radio.addEventListener('change', () => {
        state.filter = radio.value;
        renderTasks();
      });
    }
  }

  async function main() {
    wire();
    await loadConfig();
    if (token()) start();
    else showSignIn();
    document.body.dataset.ready = 'true';
  }

  main();
})();
