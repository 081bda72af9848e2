/**
 * One training at a time per checkpoint folder. Two runs writing the same
 * folder (`nnmodel train` twice, or the CLI beside VS Code's Train Model,
 * which write the same default `.nnmodel/<file>/<model>`) would remove
 * each other's weights files and rename over each other's `model.json`:
 * a run writing a folder holds `training.lock` in it, created atomically
 * (`wx`) with the process id, its host, when it started and what it is.
 * Another run is refused before it trains (`CheckpointLockedError`); a lock
 * whose process is gone (a run killed with SIGKILL, a crash of the machine)
 * is taken over, and the caller says so. A lock naming this process's own
 * pid is one of two things: another training of this process (the
 * extension host runs every Train Model of its window in one process),
 * which holds it and is refused like any run, or a lock left by an earlier
 * process that had the same pid (a container's CLI gets the same small pid
 * at every start), which ended before this process began and is stale. The lock is released when the run
 * ends, fails or is stopped (and, should the process exit first, by an
 * `exit` handler). Readers (evaluate, generate, export) take no lock:
 * `readCheckpoint` copes with a checkpoint switched under it.
 *
 * Node only (the extension host and the CLI); no tfjs.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { CheckpointError } from './checkpoint';

/** The lock file in a checkpoint folder while a training writes it. */
export const LOCK_FILE = 'training.lock';

/** What a lock file records of the run holding it. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the run took the lock (ISO 8601). */
  started: string;
  /** What holds it, for messages: `nnmodel train m.nnmodel`, `VS Code (Train Model)`. */
  command: string;
  /** Tells this lock from another of the same process (two runs in one process). */
  token: string;
}

/** A held checkpoint folder lock; `release` is idempotent. */
export interface CheckpointLock {
  readonly path: string;
  /** One line when a stale lock (its process gone) was taken over; undefined otherwise. */
  readonly tookOver?: string;
  release(): Promise<void>;
}

/** A training refused because another one writes the folder. */
export class CheckpointLockedError extends CheckpointError {
  constructor(
    message: string,
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(message);
    this.name = 'CheckpointLockedError';
  }
}

/** What to do about a locked folder, in the caller's terms (the CLI's `--checkpoints DIR`, the editor's setting). */
export interface LockOptions {
  /** What the lock names as its holder. */
  command: string;
  /** How to train elsewhere: `train into another folder with --checkpoints DIR`. */
  elsewhere: string;
  /** Whether the process `pid` (on this host) is running; default `process.kill(pid, 0)`. */
  alive?: (pid: number) => boolean;
}

let tokens = 0;

/**
 * The tokens of the locks this process holds, shared by every copy of this
 * module the process loads: a lock naming this process's pid is its own
 * only when its token is here.
 */
const held: Set<string> = ((globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('nnmodel.checkpointLocks')] ??= new Set<string>());

/**
 * Takes the lock of checkpoint folder `dir` (created when missing) for a
 * training, or throws `CheckpointLockedError` naming the run that holds it
 * and the way out. A lock of a process that is no longer running on this
 * host is taken over (`tookOver` says so). Other failures (a read-only
 * disk) are thrown as Node's error.
 */
export async function acquireCheckpointLock(dir: string, options: LockOptions): Promise<CheckpointLock> {
  await mkdir(dir, { recursive: true });
  const path = `${dir}/${LOCK_FILE}`;
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: options.command, token: `${process.pid}-${Date.now().toString(36)}-${(tokens++).toString(36)}` };
  const alive = options.alive ?? processAlive;
  const guard = `${path}.takeover`;
  let tookOver: string | undefined;
  // Ours from before the file exists: another run of this process that finds it meanwhile knows it is held.
  held.add(me.token);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(JSON.stringify(me));
        } finally {
          await handle.close();
        }
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
      }
      const { holder, text, young } = await readHolder(path);
      if (text === undefined) continue; // gone meanwhile: try again
      // A lock without a readable holder is stale once it is not being written any more.
      const stale = holder ? holder.host === me.host && !running(holder, alive) : !young;
      if (!stale) throw new CheckpointLockedError(lockedMessage(dir, path, holder, options.elsewhere), dir, holder);
      // Only the lock judged stale is removed, by one run at a time: a run takes the takeover guard (a directory,
      // which one process only can create), reads the lock again, and removes it only when it is still the one it
      // judged. No run removes or moves a lock another has just written: of several runs taking over one stale
      // lock, the first removes it and takes the folder, the others then find its lock and are refused.
      if (!(await takeGuard(guard))) throw new CheckpointLockedError(lockedMessage(dir, path, holder, options.elsewhere), dir, holder);
      try {
        const again = await readFile(path, 'utf8').catch(() => undefined);
        if (again !== text) continue;
        await rm(path, { force: true });
      } finally {
        await rm(guard, { recursive: true, force: true });
      }
      const gone = holder?.pid === process.pid ? `ended before this process (pid ${process.pid} too) started` : 'is no longer running';
      tookOver = holder
        ? `took over ${path}: its process ${holder.pid} (${holder.command}, started ${shownTime(holder.started)}) ${gone}.`
        : `took over ${path}: it was unreadable, left by an interrupted run.`;
    }
  } catch (e) {
    held.delete(me.token);
    throw e;
  }
  await removeDeadAsides(dir, alive);
  let released = false;
  const onExit = () => {
    // The process is ending (process.exit, a second Ctrl-C): synchronously, and only our own lock.
    held.delete(me.token);
    try {
      if (readFileSync(path, 'utf8').includes(me.token)) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  process.on('exit', onExit);
  return {
    path,
    ...(tookOver ? { tookOver } : {}),
    release: async () => {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      held.delete(me.token);
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text?.includes(me.token)) await rm(path, { force: true });
    },
  };
}

/**
 * Takes the takeover guard `guard` (a directory): waits while another run
 * holds it (a takeover takes milliseconds), and removes one left for more
 * than 10 s by a run killed in its takeover. False when it stays held.
 */
async function takeGuard(guard: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    try {
      await mkdir(guard);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const old = await stat(guard).then((s) => Date.now() - s.mtimeMs > 10_000, () => false);
    if (old) await rm(guard, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/**
 * Removes the locks moved aside to be taken over (`training.lock.stale-<token>`)
 * that a run killed between the move and the removal left in `dir`: those
 * whose process (the token starts with its pid) is gone. A live one is in the
 * middle of a takeover and may still put the lock back.
 */
async function removeDeadAsides(dir: string, alive: (pid: number) => boolean): Promise<void> {
  const prefix = `${LOCK_FILE}.stale-`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const token = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    const m = /^(\d+)-[0-9a-z]+-[0-9a-z]+$/.exec(token);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid ? held.has(token) : alive(pid)) continue;
    await rm(`${dir}/${name}`, { force: true }).catch(() => undefined);
  }
}

/**
 * The holder recorded in the lock at `path`, and its text (undefined when
 * the file is gone). A lock being written (empty for an instant) is re-read;
 * `young` says it was modified in the last 10 s.
 */
async function readHolder(path: string): Promise<{ holder?: LockHolder; text?: string; young: boolean }> {
  let text: string | undefined;
  for (let i = 0; i < 5; i++) {
    text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return { young: false };
    if (text.trim() !== '') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const young = await stat(path).then((s) => Date.now() - s.mtimeMs < 10_000, () => false);
  try {
    const o = JSON.parse(text!) as Partial<LockHolder>;
    if (Number.isSafeInteger(o.pid) && typeof o.host === 'string' && typeof o.started === 'string' && typeof o.command === 'string') return { holder: o as LockHolder, text, young };
  } catch {
    // Empty (its writer died between creating and writing it) or damaged.
  }
  return { text, young };
}

/**
 * Whether the run holding a lock of this host still runs. Another pid: as
 * `alive` says. This process's own pid: when the lock is one this process
 * holds (its token), or when it was taken since this process started (not
 * ours, yet not provably older: refused rather than taken over). A lock of
 * our pid taken before this process started was an earlier process's, which
 * is gone: pids are reused only once their process has ended.
 */
function running(holder: LockHolder, alive: (pid: number) => boolean): boolean {
  if (holder.pid !== process.pid) return alive(holder.pid);
  if (typeof holder.token === 'string' && held.has(holder.token)) return true;
  const started = Date.parse(holder.started);
  return !(started < Date.now() - process.uptime() * 1000);
}

/** Whether process `pid` runs (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function shownTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The refusal of a training into the locked folder `dir`: who writes it, and what to do. */
export function lockedMessage(dir: string, path: string, holder: LockHolder | undefined, elsewhere: string): string {
  // A lock this process holds is a run going on here (another Train Model of this window): deleting its lock is no way out.
  const ours = holder !== undefined && holder.host === hostname() && holder.pid === process.pid && typeof holder.token === 'string' && held.has(holder.token);
  const who = ours
    ? `another run of this process (${holder.command}, started ${shownTime(holder.started)})`
    : holder
      ? `process ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''} (${holder.command}, started ${shownTime(holder.started)})`
      : 'another process';
  return (
    `another training is writing checkpoints in ${dir}: ${who}; nothing was trained. ` +
    `Wait for it to end, or ${elsewhere}.${ours ? '' : ` (If no training is running there, delete ${path}.)`}`
  );
}
