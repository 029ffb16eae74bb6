// Free text a user names things with (template names and notes, token names): shown in
// consoles, logs and other people's screens, so no control characters (a note may have line
// breaks and tabs) and no bidirectional overrides, which can make text read as something else.
import type { FieldProblems } from "./errors.ts";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /[\n\r\t]/;
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/;

export function checkText(problems: FieldProblems, field: string, value: string, options: { min?: number; max: number; multiline?: boolean }): void {
  const { min = 1, max, multiline = false } = options;
  if (value.length < min || value.length > max) problems.add(field, min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`);
  if (CONTROL.test(value) || (!multiline && LINE_BREAKS.test(value))) problems.add(field, "must not contain control characters");
  if (BIDI_OVERRIDES.test(value)) problems.add(field, "must not contain bidirectional override characters");
}
