// The environment Claude Code runs with: built from a list of what it needs, never by removing
// secrets from the VM's own environment (a variable added to the VM later would leak by default).
import type { VmEnv } from "./env";

/** Variables of the VM's environment that Claude Code, git, Playwright and the shell may use. */
const passedNames = new Set([
  "PATH",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "NODE_PATH",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "PLAYWRIGHT_BROWSERS_PATH",
  "DISABLE_AUTOUPDATER",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
]);
/** Claude Code's own settings (ANTHROPIC_BASE_URL, ANTHROPIC_MODEL, CLAUDE_CODE_…) and the locale. */
const passedPrefixes = ["ANTHROPIC_", "CLAUDE_CODE_", "LC_"];

export function claudeEnvironment(env: VmEnv, home: string, source: NodeJS.ProcessEnv = process.env, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name === "RELAY_SHARED_TOKEN") continue;
    if (passedNames.has(name) || passedPrefixes.some((p) => name.startsWith(p)) || env.AGENT_ENV_PASSTHROUGH.includes(name)) out[name] = value;
  }
  return {
    ...out,
    PATH: out.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
    ...(env.GITHUB_TOKEN ? { GITHUB_TOKEN: env.GITHUB_TOKEN, GH_TOKEN: env.GITHUB_TOKEN } : {}),
    ...extra,
  };
}
