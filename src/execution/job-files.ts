/** Names of the files the host's wrapper keeps in a job's work directory (shared by wrapper, managers, results). */
export const JOB_FILES = {
  dir: '.uws',
  wrapper: '.uws/wrapper.sh',
  body: '.uws/body.sh',
  stdout: '.uws/stdout.txt',
  stderr: '.uws/stderr.txt',
  exit: '.uws/exit',
  pid: '.uws/pid',
  manifest: '.uws/results.tsv',
  log: '.uws/wrapper.log',
} as const;
