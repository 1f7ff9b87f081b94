// Defaults for the kubelet's streaming endpoints (exec, attach, port-forward), in one place so
// the kubelet's --help can print them. Upstream's equivalents live in the CRI streaming server
// config (StreamCreationTimeout 30 s); the close grace has no upstream knob because spdystream
// waits for ever there, which we do not want for a peer that vanished without a FIN.

export const streamingDefaults = {
  /** How long a SPDY client may take to open every stream an exec/attach needs. */
  streamCreationTimeoutMs: 30_000,
  /** After we finish a session, how long the client gets to close the connection itself. */
  closeGraceMs: 10_000,
  /** Largest SPDY DATA frame we write (the format allows 16 MiB; kubectl copies 32 KiB at a time). */
  maxDataFrameBytes: 64 * 1024,
  /** Unacknowledged websocket bytes per output channel before we stop reading the process. */
  webSocketHighWaterMark: 1024 * 1024,
} as const;
