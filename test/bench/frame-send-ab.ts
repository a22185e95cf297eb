/**
 * A development tool, not part of `npm run bench`: what sending one small text message costs the
 * server by `ws`'s `send` against a finished frame written to the upgraded connection
 * (src/adapters/live/text-frame.ts, as the live hub sends): as bytes (`textFrame`) or, for an
 * ASCII text, as a latin1 string (`asciiTextFrame`). One server, this process, with CONNECTIONS
 * watchers in a child process (this file again) that read everything; each round runs the three
 * ways, in an order rotated every round, each sending PASSES messages to every watcher (a tick's
 * text, a fresh string per message as the hub writes them) with the event loop let go between
 * passes. Each round reports the server's CPU a message (process.cpuUsage: user + system, the
 * kernel's socket work included); the verdicts are the medians of the rounds' ratios to `ws`.
 *
 * @example node --import tsx test/bench/frame-send-ab.ts 8
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { tickText, tickTextPrefix } from '../../src/adapters/live/protocol.ts';
import { asciiTextFrame, textFrame } from '../../src/adapters/live/text-frame.ts';
import { isEntry } from './harness.ts';

const CONNECTIONS = 2_000;
const PASSES = 50;

type Way = 'ws send' | 'frame bytes' | 'ascii frame';
const WAYS: readonly Way[] = ['ws send', 'frame bytes', 'ascii frame'];
type ClientMessage = { readonly type: 'open' } | { readonly type: 'received'; readonly count: number };

/** Each watcher's tick prefix, written once as the hub writes it per session. */
const PREFIXES = Array.from({ length: CONNECTIONS }, (_, i) => tickTextPrefix(`ses_01JEXAMPLE${String(i).padStart(8, '0')}`));

async function server(rounds: number): Promise<void> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const watchers: { ws: WebSocket; stream: Duplex }[] = [];
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => { watchers.push({ ws, stream: socket }); });
  });
  await new Promise<void>((resolve) => { http.listen(0, '127.0.0.1', resolve); });
  const { port } = http.address() as AddressInfo;
  const client = fork(fileURLToPath(import.meta.url), [String(port)], { execArgv: ['--import', 'tsx'] });
  const next = (): Promise<ClientMessage> => new Promise((resolve) => { client.once('message', (m) => { resolve(m as ClientMessage); }); });
  await next();
  let seq = 0;
  let expected = 0;
  const round = async (way: Way): Promise<number> => {
    const before = process.cpuUsage();
    for (let pass = 0; pass < PASSES; pass += 1) {
      seq += 1;
      for (let i = 0; i < watchers.length; i += 1) {
        const watcher = watchers[i];
        if (watcher === undefined) continue;
        const text = tickText(PREFIXES[i] ?? '', seq, '4.25', seq);
        if (way === 'ws send') watcher.ws.send(text);
        else if (way === 'frame bytes') watcher.stream.write(textFrame(text));
        else watcher.stream.write(asciiTextFrame(text), 'latin1');
      }
      await new Promise((resolve) => { setImmediate(resolve); });
    }
    const cpu = process.cpuUsage(before);
    expected += PASSES * watchers.length;
    const received = next();
    client.send({ type: 'count', expected });
    const answer = await received;
    if (answer.type !== 'received' || answer.count !== expected) throw new Error(`the watchers received ${JSON.stringify(answer)}, expected ${expected}`);
    return (cpu.user + cpu.system) / (PASSES * watchers.length);
  };
  const ratios: Record<Way, number[]> = { 'ws send': [], 'frame bytes': [], 'ascii frame': [] };
  for (const way of WAYS) await round(way);
  for (let r = 0; r < rounds; r += 1) {
    const us: Record<Way, number> = { 'ws send': 0, 'frame bytes': 0, 'ascii frame': 0 };
    for (let k = 0; k < WAYS.length; k += 1) {
      const way = WAYS[(r + k) % WAYS.length] ?? 'ws send';
      us[way] = await round(way);
    }
    for (const way of WAYS) ratios[way].push(us[way] / us['ws send']);
    process.stdout.write(`round ${r + 1}: ${WAYS.map((way) => `${way} ${us[way].toFixed(2)} µs`).join(', ')} a message\n`);
  }
  const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  process.stdout.write(`median of ${rounds} rounds, over ws send: frame bytes ${median(ratios['frame bytes']).toFixed(3)}, ascii frame ${median(ratios['ascii frame']).toFixed(3)}\n`);
  client.kill();
  for (const { ws } of watchers) ws.terminate();
  http.close();
}

function clients(port: number): void {
  let received = 0;
  let open = 0;
  let waitingFor: number | null = null;
  const answer = (): void => {
    if (waitingFor !== null && received >= waitingFor) {
      waitingFor = null;
      process.send?.({ type: 'received', count: received } satisfies ClientMessage);
    }
  };
  for (let i = 0; i < CONNECTIONS; i += 1) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    ws.on('open', () => {
      open += 1;
      if (open === CONNECTIONS) process.send?.({ type: 'open' } satisfies ClientMessage);
    });
    ws.on('message', () => {
      received += 1;
      answer();
    });
  }
  process.on('message', (message: { type: 'count'; expected: number }) => {
    waitingFor = message.expected;
    answer();
  });
}

if (isEntry(import.meta.url)) {
  if (process.send === undefined) await server(Number(process.argv[2] ?? 8));
  else clients(Number(process.argv[2]));
}
