// Stepping through a lab's container creation: one session for the whole lab. Every traced
// process the lab starts for a container's create and start (the runtime, and through it the init)
// gets the same two fds: events (JSON lines) and control (one 'g' per begin), as under
// `container run --step`. The session is the TUI's event source; whoever creates containers (today
// src/labs/containers.ts through the runtime's CLI) only asks it for `spawnOptions()` and wraps each
// container's creation in `phase()`.
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { sys } from '../runtime/sys/index.js';
import type { TraceEvent } from '../tracer/event.js';
import { CONTROL_FD, ENV, EVENTS_FD } from '../env.js';
import { readJsonLines, readsFd } from '../tui/sources/live.js';
import type { EventSource, SourceHandlers } from '../tui/sources/source.js';
import type { KeyStep } from './format.js';
import { matchKeyStep } from './key-steps.js';

/** The fds in the child: the same numbers every process of a run has them at (src/env.ts). */
const CHILD_EVENTS_FD = EVENTS_FD;
const CHILD_CONTROL_FD = CONTROL_FD;

export interface SpawnOptions {
  /** extra stdio entries, from fd 3 on */
  stdio: Array<number | 'ignore'>;
  env: NodeJS.ProcessEnv;
  onSpawn(pid: number): void;
}

export interface SteppingListener {
  /** a container's creation starts (show the stepping TUI) or ended (back to the narration) */
  phase(active: boolean, title: string): void;
  /** a key step is waiting: the lab's words for it, for the narrated log */
  keyStep(event: TraceEvent, key: KeyStep): void;
}

export class SteppingSession implements EventSource {
  readonly kind = 'live' as const;
  readonly stepping = true;
  private readonly eventsPath: string;
  private readonly controlPath: string;
  private readFd = -1;
  private writeFd = -1;
  private controlFd = -1;
  private socket: Socket | undefined;
  private handlers: SourceHandlers | undefined;
  private buffered: TraceEvent[] = [];
  private inPhase = false;
  /** the user quit the TUI: every begin runs at once from now on */
  private free = false;
  private child: number | undefined;

  private keySteps: readonly KeyStep[] | 'all';

  /** mode 'all': stop at every step (`--step`); 'keys': only at the lab's key steps (see forLab) */
  constructor(dir: string, mode: 'all' | 'keys', private readonly listener: SteppingListener,
    private readonly onQuit: () => void) {
    this.keySteps = mode === 'all' ? 'all' : [];
    this.eventsPath = join(dir, 'events.fifo');
    this.controlPath = join(dir, 'control.fifo');
  }

  open(): void {
    sys.mkfifo(this.eventsPath, 0o600);
    sys.mkfifo(this.controlPath, 0o600);
    // O_RDWR on both: opening never blocks, the reader never sees EOF between two runtime processes,
    // and 'g's written while nobody reads wait in the fifo
    this.readFd = openSync(this.eventsPath, constants.O_RDWR);
    this.writeFd = openSync(this.eventsPath, constants.O_WRONLY);
    this.controlFd = openSync(this.controlPath, constants.O_RDWR);
    this.socket = new Socket({ fd: this.readFd, readable: true, writable: false });
    readJsonLines(this.socket, (batch) => this.onEvents(batch), () => {});
  }

  /** The session for this lab: itself, unless it stops only at key steps and the lab names none. */
  forLab(keySteps: readonly KeyStep[] | undefined): SteppingSession | undefined {
    if (this.keySteps === 'all') return this;
    this.keySteps = keySteps ?? [];
    return this.keySteps.length > 0 ? this : undefined;
  }

  spawnOptions(): SpawnOptions {
    return {
      stdio: [...Array<'ignore'>(CHILD_EVENTS_FD - 3).fill('ignore'), this.writeFd, this.controlFd],
      env: { [ENV.EVENTS_FD]: String(CHILD_EVENTS_FD), [ENV.CONTROL_FD]: String(CHILD_CONTROL_FD) },
      onSpawn: (pid) => { this.child = pid; },
    };
  }

  /** Runs one container's creation and start with the TUI on screen. */
  async phase<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.inPhase = true;
    this.listener.phase(true, title);
    try {
      return await fn();
    } finally {
      this.inPhase = false;
      this.handlers = undefined;
      this.listener.phase(false, title);
    }
  }

  private onEvents(batch: TraceEvent[]): void {
    for (const e of batch) {
      if (e.phase !== 'begin' || this.free) continue;
      const key = this.keySteps === 'all' ? undefined : matchKeyStep(this.keySteps, e);
      if (key) this.listener.keyStep(e, key);
    }
    if (this.free) {
      for (const e of batch) if (e.phase === 'begin') this.release();
      return;
    }
    if (this.handlers) this.handlers.events(batch);
    else this.buffered.push(...batch);
  }

  // --- EventSource (the TUI's side) ---
  get rootPid(): number | undefined {
    return this.child;
  }

  rootWaitsForGo(): boolean | undefined {
    return this.child === undefined ? undefined : readsFd(this.child, CHILD_CONTROL_FD);
  }

  start(handlers: SourceHandlers): void {
    this.handlers = handlers;
    const pending = this.buffered.splice(0);
    if (pending.length) handlers.events(pending);
  }

  release(): void {
    if (this.controlFd >= 0) writeSync(this.controlFd, 'g');
  }

  /** Begins the TUI lets run without stopping: everything but the key steps (none with 'all'). */
  runsThrough(event: TraceEvent): boolean {
    return this.keySteps !== 'all' && matchKeyStep(this.keySteps, event) === undefined;
  }

  /** The lab's words for a step shown in the TUI's detail pane. */
  labNote(event: Pick<TraceEvent, 'step' | 'args'>): string | undefined {
    return this.keySteps === 'all' ? undefined : matchKeyStep(this.keySteps, event)?.say;
  }

  /** q in the TUI (the TUI also calls this when it closes at the end of a phase: then it is nothing). */
  stop(): void {
    if (!this.inPhase || this.free) return;
    this.free = true;
    // the process waiting now, and every begin still to come, run on their own
    this.release();
    this.onQuit();
  }

  close(): void {
    this.socket?.destroy();
    for (const fd of [this.writeFd, this.controlFd]) {
      try {
        if (fd >= 0) closeSync(fd);
      } catch {
        // already closed
      }
    }
    rmSync(this.eventsPath, { force: true });
    rmSync(this.controlPath, { force: true });
  }
}
