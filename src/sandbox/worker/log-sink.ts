/**
 * Console output of one run, capped at `maxLogBytes` with a truncation marker.
 *
 * @module
 */
import type { LogEntry } from "../engine.js";
import { byteLength } from "../json-limits.js";
import { logTruncatedMessage } from "../limits.js";

const LEVELS: ReadonlySet<string> = new Set(["log", "info", "warn", "error", "debug"]);

/** Collects log lines until the byte cap, then one marker line. */
export class LogSink {
  readonly entries: LogEntry[] = [];
  private bytes = 0;
  private full = false;

  constructor(private readonly maxBytes: number) {}

  /** Appends a line (unknown levels become `log`); false once the cap is reached (stop logging). */
  append(level: string, message: string): boolean {
    if (this.full) return false;
    const entryLevel = (LEVELS.has(level) ? level : "log") as LogEntry["level"];
    const size = byteLength(message) + 1;
    if (this.bytes + size <= this.maxBytes) {
      this.entries.push({ level: entryLevel, message });
      this.bytes += size;
      return true;
    }
    const room = this.maxBytes - this.bytes - 1;
    if (room > 0) {
      let cut = message.slice(0, room);
      while (byteLength(cut) > room) cut = cut.slice(0, -1);
      this.entries.push({ level: entryLevel, message: cut });
    }
    this.entries.push({ level: "warn", message: logTruncatedMessage(this.maxBytes) });
    this.full = true;
    return false;
  }
}
