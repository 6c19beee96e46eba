/** Small validators for a parsed model file: each failure is a DigitsError naming the file and the JSON field. */
import { inputError } from '../errors.js';
import { invocation } from '../invocation.js';

export const damagedHint = (): string => `The model file is damaged or was not written by digits; train again with "${invocation()} train".`;

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A JSON value as shown in a message: short, and honest about what JSON turned NaN and infinities into. */
export function shortJson(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (a number too large for a double)`;
  if (value === null) return 'null (how JSON writes NaN or an infinity)';
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Small validators that throw a DigitsError naming the file and the JSON field. */
export class Checker {
  constructor(private readonly name: string) {}

  fail(field: string, problem: string): never {
    throw inputError(`${this.name}: ${field} ${problem}`, [damagedHint()]);
  }

  /** "is missing" or "is <value>, expected <what>". */
  private wrong(value: unknown, field: string, expected: string): never {
    if (value === undefined) this.fail(field, `is missing (expected ${expected})`);
    this.fail(field, `is ${shortJson(value)}, expected ${expected}`);
  }

  object(value: unknown, field: string): JsonObject {
    if (!isObject(value)) this.wrong(value, field, 'an object');
    return value;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.wrong(value, field, 'an array');
    return value;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.wrong(value, field, 'true or false');
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.wrong(value, field, 'a string');
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.wrong(value, field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return value as T;
  }

  int(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.wrong(value, field, `a whole number ${range}`);
    }
    return value;
  }

  /** A finite number, optionally `min` <= value (<= `max`), or `above` < value. */
  number(value: unknown, field: string, range: { min?: number; max?: number; above?: number } = {}): number {
    const { min, max, above } = range;
    const what =
      above !== undefined
        ? `a number greater than ${above}`
        : min !== undefined && max !== undefined
          ? `a number from ${min} to ${max}`
          : min !== undefined
            ? `a number of at least ${min}`
            : 'a finite number';
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (min !== undefined && value < min) ||
      (max !== undefined && value > max) ||
      (above !== undefined && !(value > above))
    ) {
      this.wrong(value, field, what);
    }
    return value;
  }

  nullable<T>(value: unknown, field: string, check: (value: unknown, field: string) => T): T | null {
    return value === null ? null : check(value, field);
  }

  finiteVector(values: unknown[], field: string): Float64Array {
    const out = new Float64Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(v, `${field}[${k}]`, 'a finite number');
      out[k] = v;
    }
    return out;
  }

  tensor(value: unknown, field: string, shape: number[], into: Float64Array): void {
    const tensor = this.object(value, field);
    const actual = this.array(tensor.shape, `${field}.shape`);
    if (actual.length !== shape.length || actual.some((d, k) => d !== shape[k])) {
      this.fail(`${field}.shape`, `is ${shortJson(actual)}, expected ${JSON.stringify(shape)} from the architecture`);
    }
    const data = this.array(tensor.data, `${field}.data`);
    if (data.length !== into.length) this.fail(`${field}.data`, `has ${data.length} values, expected ${into.length}`);
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(v, `${field}.data[${k}]`, 'a finite number');
      into[k] = v;
    }
  }
}
