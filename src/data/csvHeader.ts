/**
 * A CSV's header row (line 1): which column is the label and which are pixels. Shared by csv.ts (csv-parse) and
 * fastCsv.ts (the byte loop), which both start from the header and must agree on it.
 */
import { inputError } from '../errors.js';
import { invocation } from '../invocation.js';

export type LabelRequirement = 'required' | 'optional';

/** The shape of a CSV once its header is read. */
export interface CsvLayout {
  readonly columnNames: readonly string[];
  /** Index of the label column, or -1. */
  readonly labelColumn: number;
  /** Pixel columns' indices, in order. */
  readonly pixelColumns: readonly number[];
}

/** Works out the label and pixel columns from the header row (line 1). */
export function layoutFromHeader(name: string, header: readonly string[], labels: LabelRequirement): CsvLayout {
  if (header.some((field) => /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(field))) {
    throw inputError(`${name}: looks like binary data, not CSV text`, [
      'digits reads comma-separated text: a header row (label,pixel0,...,pixel783), then one row per image.',
    ]);
  }
  const names = header.map((field) => field.trim());
  if (names.length === 1) {
    const separator = ([';', '\t', '|'] as const).find((s) => names[0]!.includes(s));
    if (separator) {
      const shown = separator === '\t' ? 'tabs' : `"${separator}"`;
      throw inputError(`${name}:1: the columns are separated by ${shown}, not commas`, [
        'digits reads comma-separated files; export the file again as CSV with commas.',
      ]);
    }
  }
  if (names.length > 1 && names.every((field) => field !== '' && Number.isFinite(Number(field)))) {
    throw inputError(`${name}:1: the first line is a row of numbers, not a header (it starts ${quote(header.slice(0, 4).join(','))})`, [
      'digits needs a header row naming the columns first, like Kaggle\'s: label,pixel0,pixel1,...,pixel783',
    ]);
  }
  const labelColumns = names.flatMap((field, c) => (field.toLowerCase() === 'label' ? [c] : []));
  if (labelColumns.length > 1) {
    throw inputError(`${name}:1: more than one "label" column (columns ${labelColumns.map((c) => c + 1).join(' and ')})`);
  }
  const labelColumn = labelColumns[0] ?? -1;
  if (labelColumn === -1 && labels === 'required') {
    throw inputError(`${name}:1: no "label" column in the header, so there is nothing to learn from or score against`, [
      `To predict the digits of an unlabelled file (like Kaggle's test.csv), use: ${invocation()} predict ${name === 'stdin' ? '-' : name}`,
    ]);
  }
  const pixelColumns: number[] = [];
  for (let c = 0; c < names.length; c++) if (c !== labelColumn) pixelColumns.push(c);
  if (pixelColumns.length === 0) throw inputError(`${name}:1: the header has no pixel columns, only "${names[labelColumn]}"`);
  return { columnNames: names, labelColumn, pixelColumns };
}

/** A field's value as shown in a message: quoted, shortened, and "an empty field" for nothing. */
export function quote(value: string): string {
  if (value.trim() === '') return value === '' ? 'an empty field' : `only spaces (${JSON.stringify(value)})`;
  const shown = value.length > 24 ? `${value.slice(0, 24)}...` : value;
  return JSON.stringify(shown);
}

