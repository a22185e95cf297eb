/**
 * A whole, unmasked WebSocket text frame (RFC 6455 §5.2), as a server sends one: FIN and opcode 1,
 * the payload length in 7, 7+16 or 7+64 bits, then the UTF-8 bytes. The hub writes its messages as
 * such frames straight to the upgraded connection (live-hub.ts): one buffer and one write each,
 * where `ws`'s `send` builds an options object, a header buffer and a corked pair of writes for
 * every message (docs/live-protocol.md, Performance). A frame is built once per message, whatever
 * the number of its watchers.
 */

/** Payload lengths below this fit in the first length byte; up to 0xffff in 16 more bits; beyond, in 64. */
const SHORT_LENGTH_MAX = 125;
const MEDIUM_LENGTH_MAX = 0xffff;
const FIN_TEXT = 0x81;

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
