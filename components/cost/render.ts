// The estimate as a Markdown table (the README's cost section) and as plain JSON (the stack output).
import type { StackCostEstimate } from "./estimate";

const usd = (n: number): string => n.toFixed(2);
const cents = (n: number): number => Math.round(n * 100) / 100;

export function costTableMarkdown(e: StackCostEstimate): string {
  const rows = e.lines.map((line) => `| ${line.item} | ${line.basis.replace(/\|/g, "\\|")} | ${usd(line.usd)} |`);
  return [
    "| Item | Basis | USD / month |",
    "|---|---|---|",
    ...rows,
    `| **Total** | as assumed below | **${usd(e.usd)}** |`,
    `| VM never wakes | | ${usd(e.idleUsd)} |`,
    `| VM never sleeps | | ${usd(e.busyUsd)} |`,
    "",
    `Prices as read on ${e.pricesAsOf} from ${e.pricesSource}. Assumptions: ${e.assumptions.join("; ")}.`,
  ].join("\n");
}

/** The `monthlyCostEstimate` stack output: figures in cents, lines kept for `pulumi stack output --json`. */
export function costOutput(e: StackCostEstimate) {
  return {
    usd: cents(e.usd),
    idleUsd: cents(e.idleUsd),
    busyUsd: cents(e.busyUsd),
    region: e.region,
    regionPriceDocumented: e.regionPriceDocumented,
    lines: e.lines.map((line) => ({ item: line.item, basis: line.basis, usd: cents(line.usd) })),
    assumptions: e.assumptions,
    pricesAsOf: e.pricesAsOf,
    pricesSource: e.pricesSource,
  };
}
