// Colours come from the stylesheet's custom properties, so charts follow the light or dark
// theme that prefers-color-scheme picks; a change of scheme redraws them.
import { useEffect, useState } from "preact/hooks";

export interface Palette {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly surface: string;
  readonly series: readonly string[];
  readonly heatLow: string;
  readonly heatHigh: string;
}

const DARK = "(prefers-color-scheme: dark)";

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function readPalette(): Palette {
  return {
    text: cssVar("--text"),
    muted: cssVar("--muted"),
    grid: cssVar("--grid"),
    surface: cssVar("--surface"),
    series: Array.from({ length: 8 }, (_, index) => cssVar(`--series-${index + 1}`)),
    heatLow: cssVar("--heat-low"),
    heatHigh: cssVar("--heat-high"),
  };
}

/** The current scheme, updated when the reader's system switches it. */
export function useColorScheme(): "light" | "dark" {
  const query = typeof matchMedia === "function" ? matchMedia(DARK) : null;
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (query === null) return;
    const update = () => setDark(query.matches);
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, []);
  return dark ? "dark" : "light";
}

/** A colour between two hex colours, t in [0, 1]: the heatmap's scale. */
export function mix(low: string, high: string, t: number): string {
  const parse = (hex: string) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
  const a = parse(low);
  const b = parse(high);
  const channel = (index: number) => Math.round(a[index]! + (b[index]! - a[index]!) * t);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}
