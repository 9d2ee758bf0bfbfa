/**
 * Administrators can take a job type out of service (and put it back) without touching its plugin folder.
 * The state is in memory only: a restart makes every type available again. The plugin catalogue implements
 * it; the admin API reaches it through this token without importing the plugins module.
 */
export interface JobTypeSwitch {
  /** False when there is no such job type. */
  setDisabled(type: string, disabled: boolean): boolean;
  isDisabled(type: string): boolean;
}

export const JOB_TYPE_SWITCH = Symbol('JOB_TYPE_SWITCH');
