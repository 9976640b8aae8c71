// Offline builds (BROWSER=debian): makes Debian's chromium the browser Playwright launches, by
// linking it where Playwright keeps its own builds ($PLAYWRIGHT_BROWSERS_PATH/chromium-<revision>/
// chrome-linux64/chrome and chromium_headless_shell-<revision>/chrome-headless-shell-linux64/
// chrome-headless-shell, as playwright-core's registry lays them out), so the agent's scripts call
// chromium.launch() the same way as with Playwright's download. Fails the build when Playwright
// looks elsewhere (a Playwright upgrade that changed its layout).
const fs = require("node:fs");
const path = require("node:path");

const root = process.env.PLAYWRIGHT_BROWSERS_PATH;
if (!root) throw new Error("PLAYWRIGHT_BROWSERS_PATH is not set");
const debianChromium = "/usr/lib/chromium/chromium";
if (!fs.existsSync(debianChromium)) throw new Error(`${debianChromium} is missing: install Debian's chromium package first`);
const playwrightDir = path.join(process.env.NODE_PATH || "/usr/local/lib/node_modules", "playwright");
const core = path.dirname(require.resolve("playwright-core/package.json", { paths: [playwrightDir] }));
const { browsers } = JSON.parse(fs.readFileSync(path.join(core, "browsers.json"), "utf8"));
const layout = {
  "chromium": ["chrome-linux64", "chrome"],
  "chromium-headless-shell": ["chrome-headless-shell-linux64", "chrome-headless-shell"],
};
for (const [name, [folder, file]] of Object.entries(layout)) {
  const browser = browsers.find((b) => b.name === name);
  if (!browser) throw new Error(`playwright-core's browsers.json has no ${name}`);
  const dir = path.join(root, `${name.replace(/-/g, "_")}-${browser.revision}`);
  fs.mkdirSync(path.join(dir, folder), { recursive: true });
  fs.rmSync(path.join(dir, folder, file), { force: true });
  fs.symlinkSync(debianChromium, path.join(dir, folder, file));
  fs.writeFileSync(path.join(dir, "INSTALLATION_COMPLETE"), "");
  console.log(`${name} ${browser.revision}: ${path.join(dir, folder, file)} -> ${debianChromium}`);
}
const { chromium } = require(playwrightDir);
const expected = chromium.executablePath();
if (fs.realpathSync(expected) !== debianChromium) throw new Error(`Playwright launches ${expected}, not Debian's chromium`);
