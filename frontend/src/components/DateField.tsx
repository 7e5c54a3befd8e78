/**
 * A date the SME types day first (DD/MM/YYYY), as Indian invoices write it. Chromium's native date input shows
 * the browser's own order (mm/dd/yyyy on most builds, whatever the page's locale), which invites swapped days and
 * months on an invoice date that gets signed into the token. So the text is the input; a calendar button opens
 * the native picker (kept out of sight, it only holds the ISO day), and the hint echoes the day in words on the
 * IST calendar, so "04/05/2026" visibly reads as "Mon, 04 May 2026".
 */
import { useRef, type ReactNode } from "react";
import { formatLongDateIST, isoToDmy, istNoonUnix, parseDayDmy } from "../lib/format";

export interface DateFieldProps {
  /** The input's id (the label points at it). */
  id: string;
  /** data-testid of the text input; the picker is `<testId>-picker`, the IST echo `<testId>-ist`. */
  testId: string;
  label: ReactNode;
  /** The text as typed (DD/MM/YYYY when valid). */
  value: string;
  onChange: (text: string) => void;
  /** What is wrong with the value beyond its format (e.g. "before the invoice date"); shown instead of the echo. */
  problem?: string | null;
  /** Shown after the echo, e.g. "Funding closes at noon IST that day." */
  note?: string;
  disabled?: boolean;
}

export function DateField({ id, testId, label, value, onChange, problem, note, disabled }: DateFieldProps): ReactNode {
  const picker = useRef<HTMLInputElement>(null);
  const parsed = parseDayDmy(value);
  // An empty field gets the caller's words ("Enter the due date."); a malformed one says how to write it.
  const shown = (value.trim() === "" ? (problem ?? parsed.problem) : (parsed.problem ?? problem)) ?? null;
  const noon = parsed.day ? istNoonUnix(parsed.day) : null;

  const openPicker = (): void => {
    const input = picker.current;
    if (!input) return;
    try {
      input.showPicker();
    } catch {
      // No showPicker (older browsers) or no user activation: typing the date still works.
      input.focus();
    }
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="date-input">
        <input
          id={id}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          placeholder="DD/MM/YYYY"
          maxLength={10}
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
          onBlur={() => {
            // Tidy "5-3-2026" into "05/03/2026" once the person leaves the field.
            if (parsed.day && value !== isoToDmy(parsed.day)) onChange(isoToDmy(parsed.day));
          }}
          aria-invalid={shown ? true : undefined}
          aria-describedby={`${id}-hint`}
          data-testid={testId}
        />
        <button
          type="button"
          className="secondary small date-button"
          onClick={openPicker}
          disabled={disabled}
          aria-label="Choose the date from a calendar"
          title="Choose from a calendar"
        >
          <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
            <rect x="1.5" y="3" width="13" height="11.5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
            <path d="M1.5 6.5h13M5 1.5v3M11 1.5v3" stroke="currentColor" strokeWidth="1.4" />
          </svg>
        </button>
        <input
          ref={picker}
          type="date"
          className="date-picker-native"
          tabIndex={-1}
          aria-hidden="true"
          value={parsed.day ?? ""}
          disabled={disabled}
          onChange={(e) => onChange(isoToDmy(e.target.value))}
          data-testid={`${testId}-picker`}
        />
      </div>
      {shown ? (
        <span id={`${id}-hint`} className="problem">
          {shown}
        </span>
      ) : (
        <span id={`${id}-hint`} className="hint" data-testid={`${testId}-ist`}>
          {noon !== null ? `${formatLongDateIST(noon)} (IST)` : ""}
          {note ? ` · ${note}` : ""}
        </span>
      )}
    </div>
  );
}
