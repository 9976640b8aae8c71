// Proves a built image ships nothing of the build machine's own CA (the HTTPS-inspecting proxy's,
// given to `npm ci` as a build secret): no file of the image holds any of its certificates, no
// secret mount point is left behind, and the image's environment does not point Node at it.
// "The machine's own" = certificates of the build CA bundle that Debian's ca-certificates (the
// public Mozilla roots, which the VM image installs itself) does not ship.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { execFile } from "node:child_process";
import path from "node:path";
import { podman } from "./podman";

function pemBodies(text: string): string[] {
  const bodies: string[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) bodies.push((m[1] ?? "").replace(/\s+/g, ""));
  return bodies;
}

function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".crt")).map((n) => path.join(dir, n)) : [];
}

/** Certificates of `caFile` that are not public roots: the ones that must not ship. */
export function machineOwnCerts(caFile: string): string[] {
  const publicRoots = new Set(filesIn("/usr/share/ca-certificates/mozilla").flatMap((f) => pemBodies(readFileSync(f, "utf8"))));
  const local = filesIn("/usr/local/share/ca-certificates").flatMap((f) => pemBodies(readFileSync(f, "utf8")));
  const inBundle = pemBodies(readFileSync(caFile, "utf8"));
  // Without Debian's list of public roots, only the locally added CAs are known to be the machine's own.
  const own = publicRoots.size > 0 ? inBundle.filter((b) => !publicRoots.has(b)) : local;
  return [...new Set([...own, ...local])];
}

/** Lines of PEM text as they appear in a file (64 columns), two from the middle of each certificate. */
function searchLines(bodies: string[]): string[] {
  return bodies.flatMap((body) => {
    const lines = body.match(/.{1,64}/g) ?? [];
    const mid = Math.floor(lines.length / 2);
    return lines.slice(mid, mid + 2).filter((l) => l.length === 64);
  });
}

export interface CaLeak { file?: string; problem: string }

/** Every way `tag` carries the build CA; [] when it carries none. */
export async function findBuildCaLeaks(tag: string, caFile: string): Promise<CaLeak[]> {
  const leaks: CaLeak[] = [];
  const env = JSON.parse(await podman(["image", "inspect", "--format", "{{json .Config.Env}}", tag])) as string[] | null;
  for (const entry of env ?? []) {
    if (/^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|CURL_CA_BUNDLE)=/.test(entry) || entry.includes("build_ca")) {
      leaks.push({ problem: `the image's environment sets ${entry}` });
    }
  }
  const patterns = searchLines(machineOwnCerts(caFile));
  const root = (await podman(["image", "mount", tag])).trim();
  try {
    if (existsSync(path.join(root, "run", "secrets", "build_ca"))) leaks.push({ file: "/run/secrets/build_ca", problem: "the build secret's mount point is in the image" });
    if (patterns.length > 0) {
      const files = await grepFiles(root, patterns);
      for (const file of files) leaks.push({ file: `/${path.relative(root, file)}`, problem: "holds a certificate of the build machine's own CA" });
    }
  } finally {
    await podman(["image", "unmount", tag]).catch(() => undefined);
  }
  return leaks;
}

/** Files under `root` containing any of the fixed strings (grep exits 1 when there are none). */
function grepFiles(root: string, patterns: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile("grep", ["-r", "-l", "-F", "-s", "--no-messages", "-f", "-", root], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error && (error as { code?: number }).code !== 1) reject(new Error(`grep over the image failed: ${error.message}`));
      else resolve(stdout.split("\n").filter(Boolean));
    });
    child.stdin?.end(`${patterns.join("\n")}\n`);
  });
}
