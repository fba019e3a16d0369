// Glue between the /sse-demo page (Blazor) and the JavaScript client: the browser's own
// EventSource reads the stream, and each client event is handed to .NET as it happens.
import { createProjectStageSSE, createProjectAllStagesSSE } from './stagestream-sse.js';

let client = null;

function call(dotnet, method, ...args) {
  // The circuit may be gone (page left): nothing to tell then.
  dotnet.invokeMethodAsync(method, ...args).catch(() => {});
}

// `session` comes back with every call, so .NET can ignore a previous connection's late events.
export function connect(dotnet, session, projectId, stage, autoReconnect) {
  disconnect();
  // Lean: tokens without full_text, so a long text costs each watcher linear, not quadratic, traffic.
  const options = { autoReconnect, baseUrl: window.location.origin, lean: true };
  const next = stage ? createProjectStageSSE(projectId, stage, options) : createProjectAllStagesSSE(projectId, options);
  client = next;
  next
    .on('open', (info) => call(dotnet, 'OnOpen', session, !!info?.reconnected))
    // The data line as it came over the wire, not a re-serialization.
    .on('message', (data, meta) => call(dotnet, 'OnMessage', session, meta?.event?.data ?? JSON.stringify(data), meta?.id ?? null))
    .on('parse_error', (info) => call(dotnet, 'OnParseError', session, String(info?.raw ?? '')))
    .on('transport_error', (info) => call(dotnet, 'OnTransportError', session, info?.error ?? 'Connection error', !!info?.willRetry))
    .on('reconnecting', (info) => call(dotnet, 'OnReconnecting', session, info?.attempt ?? 0, info?.delay ?? 0))
    .on('close', (info) => {
      if (client === next) client = null;
      call(dotnet, 'OnClose', session, info?.reason ?? '');
    });
  return next.getReadyState();
}

export function disconnect() {
  const current = client;
  client = null;
  current?.disconnect();
}

export function readyState() {
  return client ? client.getReadyState() : 2;
}
