import { useEffect, useState } from "react";

/*
 * Light and dark themes are the same custom properties with two sets of values (styles/theme.css).
 * By default the system's preference decides; a choice made here is kept in localStorage and set
 * as data-theme on <html>, before the first paint (main.tsx), so the page never flashes.
 */

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "slipway.theme";

export function storedTheme(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") delete document.documentElement.dataset["theme"];
  else document.documentElement.dataset["theme"] = choice;
}

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  useEffect(() => {
    applyTheme(choice);
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  }, [choice]);
  return (
    <button
      type="button"
      className="button subtle theme-toggle"
      onClick={() => setChoice(NEXT[choice])}
      title="Switch theme: system, light, dark"
    >
      Theme: {choice}
    </button>
  );
}
