/**
 * STRPTIME(text, format): text read as a TIMESTAMP (epoch milliseconds, UTC) by DuckDB's format
 * specifiers, the ones STRFTIME writes (src/common/strftime.ts). Numbers may drop their leading
 * zeros (`%d` reads '5'), names are read in any case, a space in the format reads any run of
 * white space, and the whole text must be read. `%z` reads an offset (+01:00, +0100, Z) and
 * gives the UTC instant; sub-second digits past milliseconds are cut.
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** The most digits each numeric specifier reads. */
const WIDTHS: Readonly<Record<string, number>> = { Y: 6, y: 2, m: 2, d: 2, e: 2, H: 2, I: 2, M: 2, S: 2, j: 3, f: 6, g: 3, n: 9, w: 1, u: 1, U: 2, W: 2, V: 2, G: 6 };

/** Specifiers that stand for several: the date and time (%c), the date (%x), the time (%X, %T). */
const COMPOSITE: Readonly<Record<string, string>> = { c: '%Y-%m-%d %H:%M:%S', x: '%Y-%m-%d', X: '%H:%M:%S', T: '%H:%M:%S' };

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  dayOfYear?: number;
  pm?: boolean;
  twelveHour: boolean;
  offsetMinutes: number;
}

/** The instant `text` names by `format`, or a message saying where it does not fit. */
export function strptime(text: string, writtenFormat: string): number | string {
  // Specifiers of several fields, as STRFTIME writes them.
  const format = writtenFormat.replace(/%([%cxXT])/g, (all, c: string) => COMPOSITE[c] ?? all);
  const f: Fields = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, twelveHour: false, offsetMinutes: 0 };
  let at = 0;
  const fail = (what: string) => `could not read '${text}' by the format '${writtenFormat}': ${what} at character ${at + 1}`;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (/\s/.test(ch)) {
      while (at < text.length && /\s/.test(text[at]!)) at++;
      continue;
    }
    if (ch !== '%') {
      if (text[at] !== ch) return fail(`expected '${ch}'`);
      at++;
      continue;
    }
    let spec = format[++i];
    if (spec === '-') spec = format[++i];
    if (spec === undefined) return `the format '${writtenFormat}' ends with '%'`;
    if (spec === '%') {
      if (text[at] !== '%') return fail("expected '%'");
      at++;
      continue;
    }
    const width = WIDTHS[spec];
    if (width !== undefined) {
      const negative = spec === 'Y' && text[at] === '-';
      if (negative) at++;
      const start = at;
      while (at < text.length && at - start < width && text[at]! >= '0' && text[at]! <= '9') at++;
      if (at === start) return fail(`expected a number for %${spec}`);
      const digits = text.slice(start, at);
      const n = Number(digits) * (negative ? -1 : 1);
      const bad = setNumber(f, spec, n, digits);
      if (bad) return fail(bad);
      continue;
    }
    const rest = text.slice(at).toLowerCase();
    switch (spec) {
      case 'b':
      case 'B':
      case 'h': {
        const k = MONTHS.findIndex((m) => rest.startsWith(m));
        const s = k >= 0 ? k : MONTHS.findIndex((m) => rest.startsWith(m.slice(0, 3)));
        if (s < 0) return fail('expected a month name');
        f.month = s + 1;
        at += k >= 0 ? MONTHS[k]!.length : 3;
        break;
      }
      case 'a':
      case 'A': {
        const k = DAYS.findIndex((d) => rest.startsWith(d));
        const s = k >= 0 ? k : DAYS.findIndex((d) => rest.startsWith(d.slice(0, 3)));
        if (s < 0) return fail('expected a day name');
        at += k >= 0 ? DAYS[k]!.length : 3;
        break;
      }
      case 'p': {
        if (!rest.startsWith('am') && !rest.startsWith('pm')) return fail('expected AM or PM');
        f.pm = rest.startsWith('pm');
        at += 2;
        break;
      }
      case 'z': {
        const m = /^(?:z|([+-])(\d\d):?(\d\d)?)/i.exec(text.slice(at));
        if (!m) return fail('expected an offset such as +01:00 or Z');
        f.offsetMinutes = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
        at += m[0].length;
        break;
      }
      case 'Z': {
        const m = /^[A-Za-z_/+-]*/.exec(text.slice(at))!;
        if (m[0] !== '' && m[0].toUpperCase() !== 'UTC' && m[0].toUpperCase() !== 'GMT' && m[0].toUpperCase() !== 'Z') return fail(`only the UTC time zone is known, not '${m[0]}'`);
        at += m[0].length;
        break;
      }
      default:
        return `the format '${writtenFormat}' has '%${spec}', which STRPTIME does not read; use %Y %m %d %H %M %S %f %g %j %b %a %p %I %y %z %T or %%`;
    }
  }
  if (at < text.length) return fail('unread text');
  return instant(f) ?? `'${text}' by the format '${writtenFormat}' is not a valid time`;
}

function setNumber(f: Fields, spec: string, n: number, digits: string): string | undefined {
  switch (spec) {
    case 'Y':
    case 'G':
      f.year = n;
      return undefined;
    case 'y':
      // As C and DuckDB: 69-99 are 1969-1999, 00-68 are 2000-2068.
      f.year = n >= 69 ? 1900 + n : 2000 + n;
      return undefined;
    case 'm':
      f.month = n;
      return n >= 1 && n <= 12 ? undefined : `month ${n} is out of range`;
    case 'd':
    case 'e':
      f.day = n;
      return n >= 1 && n <= 31 ? undefined : `day ${n} is out of range`;
    case 'H':
      f.hour = n;
      return n <= 23 ? undefined : `hour ${n} is out of range`;
    case 'I':
      f.hour = n;
      f.twelveHour = true;
      return n >= 1 && n <= 12 ? undefined : `hour ${n} is out of range for %I`;
    case 'M':
      f.minute = n;
      return n <= 59 ? undefined : `minute ${n} is out of range`;
    case 'S':
      f.second = n;
      return n <= 59 ? undefined : `second ${n} is out of range`;
    case 'f':
    case 'g':
    case 'n':
      // A fraction of a second: its first three digits are milliseconds.
      f.ms = Number(digits.padEnd(3, '0').slice(0, 3));
      return undefined;
    case 'j':
      f.dayOfYear = n;
      return n >= 1 && n <= 366 ? undefined : `day of the year ${n} is out of range`;
    default:
      // Weekday and week numbers are read and checked by the date they belong to: not used.
      return undefined;
  }
}

function instant(f: Fields): number | undefined {
  const hour = f.twelveHour ? (f.hour % 12) + (f.pm ? 12 : 0) : f.hour;
  const date = new Date(Date.UTC(2000, 0, 1));
  date.setUTCFullYear(f.year, f.dayOfYear === undefined ? f.month - 1 : 0, f.dayOfYear ?? f.day);
  if (f.dayOfYear === undefined && (date.getUTCMonth() !== f.month - 1 || date.getUTCDate() !== f.day)) return undefined;
  if (f.dayOfYear !== undefined && date.getUTCFullYear() !== f.year) return undefined;
  const ms = date.getTime() + ((hour * 60 + f.minute - f.offsetMinutes) * 60 + f.second) * 1000 + f.ms;
  return Number.isFinite(ms) ? ms : undefined;
}
