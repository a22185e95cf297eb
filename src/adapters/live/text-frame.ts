/**
 * A whole, unmasked WebSocket text frame (RFC 6455 §5.2), as a server sends one: FIN and opcode 1,
 * the payload length in 7, 7+16 or 7+64 bits, then the UTF-8 bytes. The hub writes its messages as
 * such frames straight to the upgraded connection (live-hub.ts), one write each, where `ws`'s
 * `send` builds an options object, a header buffer and a corked pair of writes for every message
 * (docs/live-protocol.md, Performance; test/bench/frame-send-ab.ts measures the difference). A
 * frame is built once per message, whatever the number of its watchers.
 */
import type { Duplex } from 'node:stream';

/** Payload lengths up to this fit in the first length byte; up to 0xffff in 16 more bits; beyond, in 64. */
const SHORT_LENGTH_MAX = 125;
const MEDIUM_LENGTH_MAX = 0xffff;
const FIN_TEXT = 0x81;

/** The frame of any text, as bytes. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const header = length <= SHORT_LENGTH_MAX ? 2 : length <= MEDIUM_LENGTH_MAX ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_TEXT;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

/** Whether every UTF-16 unit of `text` is below 0x80: its UTF-8 bytes are then its latin1 bytes, one a character. */
export const isAscii = (text: string): boolean => !/[\u0080-\uffff]/.test(text);

/**
 * The frame of an ASCII text (`isAscii`), as a string to write with the latin1 encoding: its
 * header written as characters below 0x100, then the text itself. No buffer is allocated: the
 * socket encodes the string as it writes it (frame-send-ab.ts: 0.81 of `ws`'s send against 0.88
 * for `textFrame`'s buffer). A tick is always ASCII (digits, an amount, the session's id checked
 * once).
 */
export function asciiTextFrame(text: string): string {
  const length = text.length;
  if (length <= SHORT_LENGTH_MAX) return `\x81${String.fromCharCode(length)}${text}`;
  if (length <= MEDIUM_LENGTH_MAX) return `\x81\x7e${String.fromCharCode(length >>> 8, length & 0xff)}${text}`;
  const long = Buffer.allocUnsafe(8);
  long.writeBigUInt64BE(BigInt(length));
  return `\x81\x7f${long.toString('latin1')}${text}`;
}

/** A frame, as bytes or as a latin1 string (asciiTextFrame). */
export type Frame = Buffer | string;

/** Writes `frame` to the upgraded connection. */
export function writeFrame(stream: Duplex, frame: Frame): void {
  if (typeof frame === 'string') stream.write(frame, 'latin1');
  else stream.write(frame);
}
