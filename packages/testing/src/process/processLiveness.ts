/**
 * Whether a process, or any process of a group, still exists. `kill(pid, 0)` sends nothing: it only
 * asks the kernel, which answers ESRCH once the pid is gone (EPERM means it exists and is not ours).
 */
const exists = (target: number): boolean => {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export const isProcessGone = (pid: number): boolean => !exists(pid);

/** True when no process of group `pgid` is left (the group's leader and everything it started). */
export const isProcessGroupGone = (pgid: number): boolean => !exists(-pgid);
