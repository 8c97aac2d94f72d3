// Private: which requests may be sent again (a replay after a 401, a retry).
//
// A request without a body can always be rebuilt. A request with a body can
// only be sent again when its body is held in memory: the client marks those.
// Streaming bodies are never teed, so a 1 GiB upload is never buffered.

const replayable = new WeakSet<Request>();

/** Marks a request whose body is in memory as safe to clone and send again. */
export function markReplayable(request: Request): Request {
  replayable.add(request);
  return request;
}

/** Whether the request can be cloned and sent again. */
export function isReplayable(request: Request): boolean {
  return request.body === null || replayable.has(request);
}

/** A copy of a replayable request (itself replayable), for a second attempt. */
export function cloneForReplay(request: Request): Request {
  const copy = request.clone();
  if (request.body !== null) replayable.add(copy);
  return copy;
}
