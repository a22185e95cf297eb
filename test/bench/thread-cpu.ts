/**
 * CPU time of the main thread alone (the event loop: JavaScript and the synchronous SQLite calls),
 * apart from worker threads, GC helpers and the libuv pool that process.cpuUsage() adds in. Read
 * from Linux's /proc (clock ticks of 10 ms); null elsewhere. Unlike wall time it does not grow when
 * other processes take the cores, nor while a call waits for the disk.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in hundredths of a second. */
const CLOCK_TICKS_PER_S = 100;

/** Milliseconds of CPU the main thread has used (user + system), or null when /proc is not there. */
export function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which ends with ") ": utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}
