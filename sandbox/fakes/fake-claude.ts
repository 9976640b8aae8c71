// A stand-in for the `claude` CLI in headless mode (`-p ... --output-format json [--resume id]`),
// deterministic so tests can check what the VM did with it. Words in the prompt drive it:
//   "sleep N"      sleep N seconds first (a stuck run)
//   "hold:NAME"    wait until the test releases NAME (fake-claude-hold.ts), then answer
//   "screenshot"   write a small PNG into $TEXTSLASH_IMAGES_DIR and mention its path
//   "long N"       answer with about N characters in paragraphs
//   "fail"         exit 2 with an error on stderr
//   "orphan", "probe"  a careless or hostile agent (fake-claude-probes.ts)
// Sessions live in $FAKE_CLAUDE_STATE_DIR/sessions/<id>.json (turn counts); every call is
// appended to $FAKE_CLAUDE_STATE_DIR/calls.jsonl.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { randomUUID } from "node:crypto";
import { probe, startOrphan } from "./fake-claude-probes";
import { waitForRelease } from "./fake-claude-hold";

// The smallest valid PNG (1x1, transparent).
const tinyPng = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

interface Args {
  prompt: string;
  resume?: string;
  outputFormat: string;
}

// As the real CLI parses (commander): -p/--print is a flag and the prompt the first positional
// argument; `--` ends the options; an option it knows as its own, such as --version, acts as one.
function parseArgs(argv: string[]): Args {
  const args: Args = { prompt: "", outputFormat: "text" };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === "--version" || a === "-v") {
      process.stdout.write("2.1.332 (Claude Code)\n");
      process.exit(0);
    }
    if (a === "--resume" || a === "-r") args.resume = argv[++i];
    else if (a === "--output-format") args.outputFormat = argv[++i] ?? "text";
    else if (a === "--append-system-prompt" || a === "--model") i++;
    else if (!a.startsWith("-")) positional.push(a);
  }
  args.prompt = positional[0] ?? "";
  return args;
}

function longText(size: number): string {
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
  let out = "";
  let n = 0;
  while (out.length < size) {
    out += `${words[n % words.length]}${n}`;
    n++;
    out += n % 40 === 0 ? "\n\n" : n % 10 === 0 ? "\n" : " ";
  }
  return out.trim();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stateDir = process.env.FAKE_CLAUDE_STATE_DIR ?? join(tmpdir(), "fake-claude");
  const sessionsDir = join(stateDir, "sessions");
  mkdirSync(sessionsDir, { recursive: true });
  appendFileSync(
    join(stateDir, "calls.jsonl"),
    `${JSON.stringify({ pid: process.pid, args: process.argv.slice(2), cwd: process.cwd(), uid: process.getuid?.(), home: process.env.HOME, hasRelayToken: "RELAY_SHARED_TOKEN" in process.env })}\n`,
  );

  let sessionId: string = randomUUID();
  let turns = 1;
  if (args.resume) {
    const file = join(sessionsDir, `${args.resume}.json`);
    if (!existsSync(file)) {
      process.stderr.write(`No conversation found with session ID: ${args.resume}\n`);
      process.exit(1);
    }
    sessionId = args.resume;
    turns = (JSON.parse(readFileSync(file, "utf8")) as { turns: number }).turns + 1;
  }
  writeFileSync(join(sessionsDir, `${sessionId}.json`), JSON.stringify({ turns }));

  const prompt = args.prompt;
  if (/\borphan\b/.test(prompt)) await startOrphan(stateDir);
  if (/\bprobe\b/.test(prompt)) probe(stateDir);
  const hold = /\bhold:(\w+)/.exec(prompt);
  if (hold?.[1]) await waitForRelease(stateDir, hold[1]);
  const sleep = /\bsleep (\d+(?:\.\d+)?)/.exec(prompt);
  if (sleep?.[1]) await new Promise((r) => setTimeout(r, Number(sleep[1]) * 1000));
  if (/\bfail\b/.test(prompt)) {
    process.stderr.write("fake claude: asked to fail\n");
    process.exit(2);
  }

  const firstLine = prompt.split("\n")[0] ?? "";
  let result = `turn ${turns}: ${firstLine}`;
  const long = /\blong (\d+)/.exec(prompt);
  if (long?.[1]) result = longText(Number(long[1]));
  if (/screenshot/.test(prompt)) {
    const dir = process.env.TEXTSLASH_IMAGES_DIR ?? stateDir;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "screenshot.png");
    writeFileSync(path, tinyPng);
    result += `\nSaved a screenshot at ${path}`;
  }
  const images = /saved at: (.+)\]/.exec(prompt);
  if (images?.[1]) result += `\nI see ${images[1].split(", ").length} image(s).`;

  if (args.outputFormat === "json") {
    process.stdout.write(
      `${JSON.stringify({ type: "result", subtype: "success", is_error: false, duration_ms: 1, num_turns: turns, result, session_id: sessionId, total_cost_usd: 0 })}\n`,
    );
  } else {
    process.stdout.write(`${result}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fake claude crashed: ${String(err)}\n`);
  process.exit(3);
});
