/**
 * STRFTIME(ts, format): a TIMESTAMP (epoch milliseconds, UTC) as text, with DuckDB's format
 * specifiers (C's strftime; `%-d` and the like drop the leading zero). Sub-second parts come from
 * the milliseconds: `%f` is microseconds (six digits), `%g` milliseconds (three), `%n` nanoseconds.
 */

const DAY_MS = 86_400_000;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The specifiers STRFTIME knows (after `%`, and after `%-` for those that pad). */
const SPECIFIERS = new Set('aAwubhBmdyYHIpMSfgnjUWVGzZcxXT%'.split(''));
const UNPADDED = new Set('dmHIMSjy'.split(''));

/** Why `format` cannot be used, or undefined when every specifier in it is known. */
export function strftimeFormatError(format: string): string | undefined {
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') continue;
    let c = format[++i];
    if (c === '-') {
      c = format[++i];
      if (c === undefined || !UNPADDED.has(c)) return `STRFTIME format '${format}': '%-${c ?? ''}' is not a specifier (%-d, %-m, %-H, %-I, %-M, %-S, %-j, %-y)`;
      continue;
    }
    if (c === undefined || !SPECIFIERS.has(c)) return `STRFTIME format '${format}': '%${c ?? ''}' is not a specifier; use %Y %m %d %H %M %S %f %g %j %a %A %b %B %p %I %u %w %U %W %V %G %z %Z %c %x %X %T %h or %%`;
  }
  return undefined;
}

export function strftime(ts: number, format: string): string {
  const bad = strftimeFormatError(format);
  if (bad) throw new Error(bad);
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) throw new Error(`STRFTIME of a timestamp out of range (${ts} ms)`);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const ms = ((ts % 1000) + 1000) % 1000;
  const weekday = d.getUTCDay();
  const dayOfYear = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / DAY_MS) + 1;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const value = (c: string, padded: boolean): string => {
    const p = (n: number, width = 2) => (padded ? pad(n, width) : String(n));
    switch (c) {
      case 'a':
        return DAYS[weekday]!.slice(0, 3);
      case 'A':
        return DAYS[weekday]!;
      case 'w':
        return String(weekday);
      case 'u':
        return String(weekday === 0 ? 7 : weekday);
      case 'b':
      case 'h':
        return MONTHS[month]!.slice(0, 3);
      case 'B':
        return MONTHS[month]!;
      case 'm':
        return p(month + 1);
      case 'd':
        return p(day);
      case 'y':
        return p(((year % 100) + 100) % 100);
      case 'Y':
        return String(year);
      case 'H':
        return p(hour);
      case 'I':
        return p(hour % 12 === 0 ? 12 : hour % 12);
      case 'p':
        return hour < 12 ? 'AM' : 'PM';
      case 'M':
        return p(d.getUTCMinutes());
      case 'S':
        return p(d.getUTCSeconds());
      case 'f':
        return pad(ms * 1000, 6);
      case 'g':
        return pad(ms, 3);
      case 'n':
        return pad(ms * 1_000_000, 9);
      case 'j':
        return p(dayOfYear, 3);
      // Weeks of the year starting on Sunday (%U) or Monday (%W); days before the first are week 0.
      case 'U':
        return pad(Math.floor((dayOfYear - 1 - weekday + 7) / 7));
      case 'W':
        return pad(Math.floor((dayOfYear - 1 - ((weekday + 6) % 7) + 7) / 7));
      case 'V':
        return pad(isoWeek(ts).week);
      case 'G':
        return String(isoWeek(ts).year);
      case 'z':
        return '+00';
      case 'Z':
        return '';
      case 'c':
        return `${value('Y', true)}-${value('m', true)}-${value('d', true)} ${value('H', true)}:${value('M', true)}:${value('S', true)}`;
      case 'x':
        return `${value('Y', true)}-${value('m', true)}-${value('d', true)}`;
      case 'X':
      case 'T':
        return `${value('H', true)}:${value('M', true)}:${value('S', true)}`;
      default:
        return '%';
    }
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const next = format[++i]!;
    out += next === '-' ? value(format[++i]!, false) : value(next, true);
  }
  return out;
}

/** ISO 8601 week number and week-based year (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(ts: number): { week: number; year: number } {
  const days = Math.floor(ts / DAY_MS);
  // The Thursday of this ISO week decides its year.
  const thursday = days - ((days + 3) % 7 + 7) % 7 + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const firstDay = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return { week: Math.floor((thursday - firstDay) / 7) + 1, year };
}
