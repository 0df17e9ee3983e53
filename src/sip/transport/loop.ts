/**
 * Node emits a dgram socket's or a server's 'close' before libuv has run the
 * handle's close callback, so a handle is still alive for one loop turn after
 * close() "completes". Transports await this before resolving close(), so
 * that a resolved close() really means no handle is left (tests check it).
 *
 * Two check phases: libuv runs close callbacks after the check phase of the
 * iteration in which uv_close was called, so the second setImmediate runs
 * after them whichever phase the close started in.
 */
export function afterHandleCloseCallbacks(): Promise<void> {
  return new Promise<void>((resolve) => {
    setImmediate(() => setImmediate(resolve));
  });
}
