// Questions in flight, at most one per conversation, each sent with a time limit. A request remembers
// the conversation that asked it, so its answer (or its problem) goes there whichever is open when it
// comes back.

const DEFAULT_TIMEOUT_SECONDS = 30;
const requests = new Map();  // conversation id -> the request waiting or failed in it

// Seconds to wait for an answer: the page's setting (data-timeout-seconds on the form), or a test's
// `window.docqaAskTimeoutSeconds` set before the page loads.
export function timeoutSeconds() {
  const value = Number(window.docqaAskTimeoutSeconds || document.getElementById("ask").dataset.timeoutSeconds);
  return value > 0 ? value : DEFAULT_TIMEOUT_SECONDS;
}

export function requestIn(conversationId) {
  return requests.get(conversationId);
}

export function waitingIn(conversationId) {
  const r = requests.get(conversationId);
  return Boolean(r && r.state === "waiting");
}

// Drop the request of a conversation (a failed one dismissed, or one still waiting: its answer is ignored).
export function cancel(conversationId) {
  const r = requests.get(conversationId);
  if (!r) return;
  r.cancelled = true;
  if (r.controller) r.controller.abort();
  requests.delete(conversationId);
}

function problemMessage(problem) {
  if (!problem) return "Can't reach the docqa server. Check that it is running, then try again.";
  if (problem.title === "Question has no searchable words")
    return "That question only has very common words. Try naming what you are looking for.";
  if (problem.status === 413) return "That question is too large to send.";
  if (problem.status >= 500)
    return `Something went wrong on the server. Please try again (request id ${problem.request_id || "unknown"}).`;
  return `The question couldn't be asked: ${problem.detail}`;
}

// Send `request` ({conversationId, question, body, ...}); `done(request)` is called once with
// request.response set, or request.error (then the request stays, for Retry or Cancel) — never after
// a cancel.
export async function send(request, done) {
  cancel(request.conversationId);
  const seconds = timeoutSeconds();
  Object.assign(request, { state: "waiting", response: null, error: null, timedOut: false, cancelled: false, controller: new AbortController() });
  requests.set(request.conversationId, request);
  const timer = setTimeout(() => {
    request.timedOut = true;
    request.controller.abort();
  }, seconds * 1000);
  try {
    const res = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify(request.body), signal: request.controller.signal });
    const body = await res.json().catch(() => null);
    if (res.ok && body) request.response = body;
    else request.error = problemMessage(body || { status: res.status, detail: res.statusText });
  } catch {
    request.error = problemMessage(null);
  } finally {
    clearTimeout(timer);
  }
  if (request.cancelled) return;
  if (request.timedOut && !request.response) {  // a server that hangs: say so, rather than wait for ever
    request.error = `The server has not answered in ${seconds} seconds: it may be busy or stuck. Your question is kept: retry, or cancel to edit it.`;
  }
  if (request.response) requests.delete(request.conversationId);
  request.state = request.response ? "answered" : "failed";
  done(request);
}
