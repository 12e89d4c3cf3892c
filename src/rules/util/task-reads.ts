// What a line of code reads of the calling task's allocation context, by the
// vocabulary's TASK_CONTEXT_READS (current->flags, current_gfp_context(),
// current_workqueue(), ...): shared by the rules that recognise a choice
// made from the task.
import { TASK_CONTEXT_READS } from "../../vocab/kernel-api.js";

export const TASK_READS = Object.keys(TASK_CONTEXT_READS).map((k) => ({ key: k, re: new RegExp(k === "current->flags" ? "\\bcurrent\\s*->\\s*flags\\b" : `\\b${k}\\s*\\(`) }));

/** The task-state reads of one line of code, as a reviewer names them ("current->flags", "current_gfp_context()"). */
export function taskReadsOf(code: string): string[] {
  return TASK_READS.filter((r) => r.re.test(code)).map((r) => (r.key === "current->flags" ? r.key : `${r.key}()`));
}
