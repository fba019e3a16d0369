// StageStream SSE client: an ES module with no build step.
//
// Same API as the old system's sseService.js (SSEClient, createProjectStageSSE,
// createProjectAllStagesSSE, SSE_EVENT_TYPES), fixed where that client was broken:
//   - listeners live on the client, not on the EventSource, so they survive reconnects;
//   - a reconnect resumes after the last event id received (?lastEventId=<id>), so nothing is
//     lost or repeated;
//   - network/connection failures fire `transport_error`; `error` is only the server's
//     `error` message (type "error"), so the two can no longer be confused;
//   - `close` fires exactly once per connection session, whatever ended it.
// See docs/js-client.md for the full reference.

/** Message types the server sends, as found in the JSON `type` field. */
export const SSE_EVENT_TYPES = Object.freeze({
  CONNECTED: 'connected',
  TOKEN: 'token',
  STAGE_UPDATE: 'stage_update',
  PROGRESS: 'progress',
  ITEM_COMPLETED: 'item_completed',
  STAGE_COMPLETED: 'stage_completed',
  DONE: 'done',
  ERROR: 'error',
  PIPELINE_DONE: 'pipeline_done',
  PIPELINE_ERROR: 'pipeline_error',
  STREAM_END: 'stream_end',
});

/** Events raised by the client itself (not server message types). */
export const SSE_CLIENT_EVENTS = Object.freeze({
  OPEN: 'open',
  CLOSE: 'close',
  MESSAGE: 'message',
  PARSE_ERROR: 'parse_error',
  TRANSPORT_ERROR: 'transport_error',
  RECONNECTING: 'reconnecting',
});

/** Same values as EventSource.CONNECTING / OPEN / CLOSED. */
export const READY_STATE = Object.freeze({ CONNECTING: 0, OPEN: 1, CLOSED: 2 });

/** Why a session closed, as given in the `close` event's `reason`. */
export const CLOSE_REASONS = Object.freeze({
  DISCONNECT: 'disconnect',             // disconnect() or a new connect() was called
  STREAM_END: 'stream_end',             // the server sent stream_end
  SERVER_CLOSED: 'server_closed',       // the browser will not retry: HTTP 204 (stream over), other non-200, CORS refusal
  RETRIES_EXHAUSTED: 'retries_exhausted', // the connection kept failing after maxRetries reconnects
  CONNECTION_LOST: 'connection_lost',   // the connection failed and autoReconnect is off
});

export const DEFAULT_RETRY_DELAYS = Object.freeze([1000, 2000, 3000]);

// Client events that a server message type must never trigger by name.
const RESERVED = new Set(Object.values(SSE_CLIENT_EVENTS));

function reportListenerError(err) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
  else console.error(err);
}

// Adds or replaces a query parameter (lastEventId, full_text, access_token), keeping any fragment at the end.
function withParam(url, name, value) {
  const hashAt = url.indexOf('#');
  const hash = hashAt >= 0 ? url.slice(hashAt) : '';
  let base = hashAt >= 0 ? url.slice(0, hashAt) : url;
  base = base.replace(new RegExp(`([?&])${name}=[^&]*(&|$)`), (_, lead, tail) => (tail ? lead : ''));
  base = base.replace(/[?&]$/, '');
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}${name}=${encodeURIComponent(value)}${hash}`;
}

function trimBaseUrl(baseUrl) {
  return (baseUrl ?? '').replace(/\/+$/, '');
}

/** URL of the single-stage stream: {baseUrl}/api/v1/sse/projects/{projectId}/stages/{stageName}/ */
export function projectStageUrl(projectId, stageName, baseUrl = '') {
  return `${trimBaseUrl(baseUrl)}/api/v1/sse/projects/${encodeURIComponent(projectId)}/stages/${encodeURIComponent(stageName)}/`;
}

/** URL of the all-stages stream: {baseUrl}/api/v1/sse/projects/{projectId}/ */
export function projectAllStagesUrl(projectId, baseUrl = '') {
  return `${trimBaseUrl(baseUrl)}/api/v1/sse/projects/${encodeURIComponent(projectId)}/`;
}

export class SSEClient {
  constructor(options = {}) {
    this.options = { ...options };
    /** Id of the last message received (a string, as EventSource gives it), or null. */
    this.lastEventId = options.lastEventId != null ? String(options.lastEventId) : null;
    /** Reconnects tried since the last message that made progress. */
    this.reconnectAttempts = 0;
    this.url = null;
    this._listeners = new Map();
    this._es = null;
    this._timer = null;
    this._session = 0;     // bumps on connect/close so callbacks of an old EventSource are ignored
    this._active = false;  // a session is running (connected, connecting or waiting to reconnect)
    this._opens = 0;
    this._texts = new Map(); // stage -> { runId, text } of its current run
  }

  /**
   * The text of `stage`'s current run so far: the latest `full_text`, or the `content` of its tokens added
   * up. A new `run_id` (a re-run, or the new run after an `interrupted` one) starts the text afresh.
   */
  textOf(stage) {
    return this._texts.get(stage)?.text ?? '';
  }

  _trackText(data) {
    if (data.type !== SSE_EVENT_TYPES.TOKEN && data.type !== SSE_EVENT_TYPES.DONE) return;
    let run = this._texts.get(data.stage);
    if (!run || run.runId !== data.run_id) this._texts.set(data.stage, (run = { runId: data.run_id, text: '' }));
    if (typeof data.full_text === 'string' && (data.type === SSE_EVENT_TYPES.TOKEN || data.full_text !== '')) run.text = data.full_text;
    else if (data.type === SSE_EVENT_TYPES.TOKEN) run.text += data.content ?? '';
  }

  /**
   * Connects to an SSE endpoint. Options given here override the constructor's.
   * Calling connect() while a session is running closes that session first (`close` with reason "disconnect").
   */
  connect(url, options = {}) {
    if (this._active) this._close(CLOSE_REASONS.DISCONNECT);
    this.options = { ...this.options, ...options };
    // The same URL again resumes where the last session stopped; another URL starts from its beginning.
    if (this.url !== null && url !== this.url) this.lastEventId = null;
    if (options.lastEventId !== undefined) {
      this.lastEventId = options.lastEventId != null ? String(options.lastEventId) : null;
    }
    this.url = url;
    this.reconnectAttempts = 0;
    this._opens = 0;
    this._active = true;
    this._session++;
    this._open();
    return this;
  }

  /** Adds a listener; returns the client so calls can be chained. */
  on(event, handler) {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    let set = this._listeners.get(event);
    if (!set) this._listeners.set(event, (set = []));
    set.push(handler);
    return this;
  }

  /** Removes one listener, or every listener of the event when no handler is given. */
  off(event, handler) {
    if (handler === undefined) {
      this._listeners.delete(event);
      return this;
    }
    const set = this._listeners.get(event);
    if (set) {
      const at = set.indexOf(handler);
      if (at >= 0) set.splice(at, 1);
      if (set.length === 0) this._listeners.delete(event);
    }
    return this;
  }

  /** Closes the connection and stops reconnecting. Listeners are kept, so connect() can be called again. */
  disconnect() {
    if (this._active) this._close(CLOSE_REASONS.DISCONNECT);
  }

  isConnected() {
    return this._es !== null && this._es.readyState === READY_STATE.OPEN;
  }

  /** 0 connecting (also while waiting to reconnect), 1 open, 2 closed. */
  getReadyState() {
    if (this._es) return this._es.readyState;
    return this._timer !== null ? READY_STATE.CONNECTING : READY_STATE.CLOSED;
  }

  _emit(event, data, meta) {
    const set = this._listeners.get(event);
    if (!set) return;
    // A copy, so a listener may call on()/off() (even on itself) while being dispatched.
    for (const handler of [...set]) {
      try {
        handler(data, meta);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }

  _open() {
    if (this._es) {
      // Only when a close listener called connect() while connect() itself was closing a session.
      this._es.onopen = this._es.onmessage = this._es.onerror = null;
      this._es.close();
    }
    const token = this.options.accessToken;
    if (typeof token !== 'function') {
      this._openWith(token);
      return;
    }
    // A function is asked for a fresh stream token before every connection, so a reconnect never uses an expired one.
    const session = this._session;
    Promise.resolve().then(() => token()).then(
      (value) => { if (session === this._session && this._active) this._openWith(value); },
      (error) => {
        if (session !== this._session || !this._active) return;
        this._emit(SSE_CLIENT_EVENTS.TRANSPORT_ERROR, {
          type: SSE_CLIENT_EVENTS.TRANSPORT_ERROR, error: `Could not get a stream token: ${error?.message ?? error}`,
          readyState: READY_STATE.CLOSED, willRetry: false, attempt: this.reconnectAttempts, lastEventId: this.lastEventId, url: this.url,
        });
        if (session === this._session) this._close(CLOSE_REASONS.SERVER_CLOSED);
      });
  }

  _openWith(token) {
    const session = this._session;
    const EventSourceImpl = this.options.EventSource ?? globalThis.EventSource;
    // Lean: tokens without full_text (the first token of each run on a connection still carries it); textOf() adds them up.
    let url = this.options.lean ? withParam(this.url, 'full_text', 'none') : this.url;
    // A new EventSource does not send Last-Event-ID by itself, so the id goes in the query string.
    if (this.lastEventId != null) url = withParam(url, 'lastEventId', this.lastEventId);
    if (token) url = withParam(url, 'access_token', token);
    const es = new EventSourceImpl(url, { withCredentials: !!this.options.withCredentials });
    this._es = es;

    es.onopen = () => {
      if (session !== this._session) return;
      this._opens++;
      this._emit(SSE_CLIENT_EVENTS.OPEN, {
        reconnected: this._opens > 1,
        attempt: this.reconnectAttempts,
        lastEventId: this.lastEventId,
      });
    };

    es.onmessage = (event) => {
      if (session !== this._session) return;
      this._onMessage(event);
    };

    es.onerror = (event) => {
      if (session !== this._session) return;
      this._onTransportError(es, event);
    };
  }

  _onMessage(event) {
    if (event.lastEventId) this.lastEventId = event.lastEventId;
    const meta = { id: event.lastEventId || null, event };
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      this._emit(SSE_CLIENT_EVENTS.PARSE_ERROR, { raw: event.data, error, id: meta.id }, meta);
      return;
    }
    const type = data && typeof data === 'object' ? data.type : undefined;
    // Anything past the greeting proves the connection works again, so the retry budget is restored.
    if (type !== SSE_EVENT_TYPES.CONNECTED) this.reconnectAttempts = 0;

    if (data && typeof data === 'object') this._trackText(data);
    const session = this._session;
    this._emit(SSE_CLIENT_EVENTS.MESSAGE, data, meta);
    if (session !== this._session) return; // a listener disconnected or reconnected
    if (typeof type === 'string' && !RESERVED.has(type)) this._emit(type, data, meta);
    if (type === SSE_EVENT_TYPES.STREAM_END && this._active) {
      this._close(CLOSE_REASONS.STREAM_END, data);
    }
  }

  _onTransportError(es, event) {
    // CLOSED: the browser itself gave up (HTTP 204 = stream already over, another status, or CORS).
    // CONNECTING: the connection dropped; the browser would retry forever at the server's pace,
    // so it is stopped here and the client's own bounded policy takes over.
    const serverRefused = es.readyState === READY_STATE.CLOSED;
    const autoReconnect = this.options.autoReconnect !== false;
    const delays = this.options.retryDelays ?? DEFAULT_RETRY_DELAYS;
    const maxRetries = this.options.maxRetries ?? DEFAULT_RETRY_DELAYS.length;
    // With a token function a refusal may be an expired token (401): the next attempt fetches a fresh one.
    const tokenRenews = typeof this.options.accessToken === 'function';
    const willRetry = (!serverRefused || tokenRenews) && autoReconnect && this.reconnectAttempts < maxRetries;

    es.onopen = es.onmessage = es.onerror = null;
    es.close();
    this._es = null;

    const detail = {
      type: SSE_CLIENT_EVENTS.TRANSPORT_ERROR,
      error: serverRefused ? 'Connection refused or ended by the server' : 'Connection lost',
      readyState: serverRefused ? READY_STATE.CLOSED : READY_STATE.CONNECTING,
      willRetry,
      attempt: this.reconnectAttempts,
      lastEventId: this.lastEventId,
      url: this.url,
      event,
    };

    const session = this._session;
    let reconnecting = null;
    if (willRetry) {
      // Scheduled before the listeners run, so getReadyState() says CONNECTING to them and a
      // listener calling disconnect() or connect() cancels it.
      const delay = delays[Math.min(this.reconnectAttempts, delays.length - 1)] ?? 1000;
      this.reconnectAttempts++;
      reconnecting = { attempt: this.reconnectAttempts, maxRetries, delay, lastEventId: this.lastEventId };
      this._timer = setTimeout(() => {
        this._timer = null;
        if (session === this._session && this._active) this._open();
      }, delay);
    }

    this._emit(SSE_CLIENT_EVENTS.TRANSPORT_ERROR, detail);
    // Opt-in for code written against the old client, which reported connection errors on `error`.
    if (this.options.legacyErrors && session === this._session) this._emit(SSE_EVENT_TYPES.ERROR, detail);
    if (session !== this._session) return; // a listener called disconnect() or connect()

    if (reconnecting) {
      this._emit(SSE_CLIENT_EVENTS.RECONNECTING, reconnecting);
      return;
    }
    this._close(serverRefused
      ? CLOSE_REASONS.SERVER_CLOSED
      : autoReconnect ? CLOSE_REASONS.RETRIES_EXHAUSTED : CLOSE_REASONS.CONNECTION_LOST);
  }

  _close(reason, message) {
    this._active = false;
    this._session++;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    if (this._es) {
      this._es.onopen = this._es.onmessage = this._es.onerror = null;
      this._es.close();
      this._es = null;
    }
    const detail = { reason, lastEventId: this.lastEventId, reconnectAttempts: this.reconnectAttempts };
    if (message !== undefined) detail.message = message;
    this._emit(SSE_CLIENT_EVENTS.CLOSE, detail);
  }
}

/**
 * Creates a client and connects it to one stage's stream. Options: baseUrl, autoReconnect, withCredentials,
 * accessToken (a stream token, or a function returning one or a promise of one, called before each connection), ...
 */
export function createProjectStageSSE(projectId, stageName, options = {}) {
  const client = new SSEClient(options);
  return client.connect(projectStageUrl(projectId, stageName, options.baseUrl));
}

/** Creates a client and connects it to the stream of every stage and the pipeline of a project. */
export function createProjectAllStagesSSE(projectId, options = {}) {
  const client = new SSEClient(options);
  return client.connect(projectAllStagesUrl(projectId, options.baseUrl));
}

export default SSEClient;
