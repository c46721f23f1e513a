// Facts about a host process read from /proc: the one "is this pid alive" check of the project
// (runtime state, container monitors, lab inits, lock owners all ask it the same way).
import { readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (state is the first), or undefined when it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: the fields start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat, the start time that tells a live process from a reused pid; undefined for a zombie or no process. */
export function processStartTime(pid: number): string | undefined {
  const fields = pid > 0 ? statFields(pid) : undefined;
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/**
 * The process exists and is not a zombie waiting to be reaped (a child we have not waited for yet is
 * done). With startTime: and it is the same process that had this start time, not a reused pid.
 */
export function processAlive(pid: number | undefined, startTime?: string): boolean {
  if (!pid || pid <= 0) return false;
  const now = processStartTime(pid);
  return now !== undefined && (startTime === undefined || startTime === '' || now === startTime);
}
