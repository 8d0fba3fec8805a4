/**
 * Where `saga report <id> --html` writes when no file is named: a name derived from the execution's
 * id alone, so a parent's report can link to its child's (and back) as files side by side, without
 * either report knowing where the other was written.
 */
export const reportFileName = (executionId: string): string => `saga-report-${executionId}.html`;

/** The command that writes that file, shown beside each link (the linked file may not exist yet). */
export const reportCommand = (executionId: string): string => `saga report ${executionId} --html`;
