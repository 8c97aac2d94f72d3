// Private: what the layers need to know of a request beyond fetch's own
// fields: whether it may be sent again (a replay after a 401, a retry), and
// whether it is a blob transfer (its body, or its answer's, is a blob of any
// size, so it gets no overall deadline: the timeout layer bounds it by
// inactivity and minimum speed instead).
//
// A request without a body can always be rebuilt. A request with a body can
// only be sent again when its body is held in memory: the client marks those.
// Streaming bodies are never teed, so a 1 GiB upload is never buffered.
// Layers that build a new request from one (a replay, a retry, a redirect)
// carry the marks over with `carryMarks`.

const replayable = new WeakSet<Request>();
const transfers = new WeakSet<Request>();

/** Marks a request whose body is in memory as safe to clone and send again. */
export function markReplayable(request: Request): Request {
  replayable.add(request);
  return request;
}

/** Whether the request can be cloned and sent again. */
export function isReplayable(request: Request): boolean {
  return request.body === null || replayable.has(request);
}

/**
 * Marks a blob transfer (a blob `GET`, an upload `PATCH` or `PUT`): no
 * overall deadline, only inactivity and minimum speed.
 */
export function markTransfer(request: Request): Request {
  transfers.add(request);
  return request;
}

/** Whether the request is a blob transfer. */
export function isTransfer(request: Request): boolean {
  return transfers.has(request);
}

/** Gives `to`, built from `from`, the transfer mark of `from`. */
export function carryMarks(from: Request, to: Request): Request {
  if (transfers.has(from)) transfers.add(to);
  return to;
}

/** A copy of a replayable request (itself replayable), for a second attempt. */
export function cloneForReplay(request: Request): Request {
  const copy = carryMarks(request, request.clone());
  if (request.body !== null) replayable.add(copy);
  return copy;
}
