// One explanation a student reads beside a traced step.
export interface Explanation {
  /** a short title: what the step is, in a few words */
  title: string;
  /** what the call (or file write) does */
  what: string;
  /** why a container runtime needs it */
  why: string;
  /** what would break, or leak, without it */
  without: string;
  /** the manual page(s) to read, e.g. `unshare(2)` */
  man: string;
}
