// The seam between the two wire forms of exec/attach (WebSocket channels, SPDY streams) and the
// code that runs the command: both hand over the same RemoteStreams. Also the terminal-size
// messages both forms carry: JSON objects `{"Width":80,"Height":24}`, one per line, as Go's
// json.Encoder writes them.
import type { Readable, Writable } from 'node:stream';
import type { Status } from 'kubernetes-types/meta/v1.js';

export interface TerminalSize {
  width: number;
  height: number;
}

/** Which streams the client asked for (the `stdin`, `stdout`, `stderr`, `tty` query flags). */
export interface StreamSelection {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface RemoteStreams {
  /** The negotiated subprotocol (`v5.channel.k8s.io`, `v4.channel.k8s.io`, ...). */
  readonly protocol: string;
  /** Bytes the client types; ends when the client closes stdin (v5, SPDY) or disconnects. */
  readonly stdin?: Readable;
  /** Ending it means every byte has been handed to the connection. */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  onResize(listener: (size: TerminalSize) => void): void;
  /** Sends the final status, then closes the connection gracefully (call once, output ended). */
  finish(status: Status): void;
  /** Drops the connection now. */
  abort(): void;
  /** Settles when the connection is gone, for whatever reason. */
  readonly closed: Promise<void>;
}

function isTerminalSize(x: unknown): x is { Width: number; Height: number } {
  if (typeof x !== 'object' || x === null) return false;
  const w: unknown = Reflect.get(x, 'Width');
  const h: unknown = Reflect.get(x, 'Height');
  return typeof w === 'number' && typeof h === 'number' && w >= 0 && h >= 0 && w <= 0xffff && h <= 0xffff;
}

/** Feeds resize bytes in, calls `emit` per complete, valid size; malformed lines are skipped. */
export class ResizeDecoder {
  private pending = '';

  constructor(private readonly emit: (size: TerminalSize) => void) {}

  write(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      this.line(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf('\n');
    }
    // A client that omits the newline still sends one object per message.
    if (this.pending.trim().endsWith('}') && this.line(this.pending)) this.pending = '';
    if (this.pending.length > 4096) this.pending = '';
  }

  private line(text: string): boolean {
    if (text.trim() === '') return true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    if (isTerminalSize(value)) this.emit({ width: value.Width, height: value.Height });
    return true;
  }
}
