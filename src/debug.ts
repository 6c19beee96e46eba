/** Whether DEBUG names digits (DEBUG=digits, or DEBUG=*): stack traces are shown only then. */
export const debugEnabled: boolean = (process.env.DEBUG ?? '')
  .split(',')
  .some((name) => name.trim() === 'digits' || name.trim() === '*');
