// The build-context digest docker.Image's Check adds to its inputs as build.contextDigest, so that
// any change to the Dockerfile or to a file of the context that .dockerignore keeps is a diff
// (and therefore a rebuild), and an unchanged checkout is none. Follows pulumi/pulumi-docker
// provider/provider.go (hashContext, contextHashAccumulator.hashPath, getIgnorePatterns) at the
// v5 line (snapshot 237b7899, after tag v5.1.0), with .dockerignore patterns matched as
// moby/patternmatcher does (MatchesOrParentMatches: a pattern matching a parent folder excludes
// everything in it; `!` re-includes; `*` and `?` stay within one path segment; `**` spans them):
// - the Dockerfile is hashed first under the name "Dockerfile" with file mode 0 ("----------");
// - then every file of the context (not folders), in lexical order, as
//   <slash path><Go FileMode string><sha256 of the content, raw bytes><NUL>; a symlink is hashed
//   by the path it resolves to, not its content;
// - the digest is the hex sha256 of all that.
// The ignore file is <dockerfile>.dockerignore if present, else <context>/.dockerignore.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";

/** ignorefile.ReadAll: comments and blank lines dropped, patterns trimmed, cleaned, leading "/" removed. */
export function readIgnorePatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const invert = line.startsWith("!");
    if (invert) line = line.slice(1).trim();
    if (line.length > 0) {
      line = path.posix.normalize(line).replace(/\/+$/, "") || ".";
      if (line.length > 1 && line.startsWith("/")) line = line.slice(1);
    }
    patterns.push(invert ? `!${line}` : line);
  }
  return patterns;
}

interface Pattern {
  exclusion: boolean;
  match: (p: string) => boolean;
}

/** patternmatcher's Pattern.compile, for "/" as the separator. */
function compile(cleaned: string): Pattern["match"] {
  let re = "^";
  let kind: "exact" | "prefix" | "suffix" | "regexp" = "exact";
  const chars = [...cleaned];
  for (let i = 0; i < chars.length; i++) {
    const start = i;
    const ch = chars[i]!;
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        if (chars[i + 1] === "/") i++;
        if (i + 1 >= chars.length) {
          if (kind === "exact") kind = "prefix";
          else {
            re += ".*";
            kind = "regexp";
          }
        } else {
          re += "(.*/)?";
          kind = "regexp";
        }
        if (start === 0) kind = "suffix";
      } else {
        re += "[^/]*";
        kind = "regexp";
      }
    } else if (ch === "?") {
      re += "[^/]";
      kind = "regexp";
    } else if (".+()|{}$".includes(ch)) {
      re += `\\${ch}`;
    } else if (ch === "\\") {
      if (i + 1 < chars.length) {
        re += `\\${chars[++i]}`;
        kind = "regexp";
      } else re += "\\\\";
    } else if (ch === "[" || ch === "]") {
      re += ch;
      kind = "regexp";
    } else {
      re += ch;
    }
  }
  if (kind === "exact") return (p) => p === cleaned;
  if (kind === "prefix") return (p) => p.startsWith(cleaned.slice(0, -2));
  if (kind === "suffix") {
    const suffix = cleaned.slice(2);
    return (p) => p.endsWith(suffix) || (suffix.startsWith("/") && p === suffix.slice(1));
  }
  const regexp = new RegExp(`${re}$`);
  return (p) => regexp.test(p);
}

/** MatchesOrParentMatches over the patterns (later ones win; `!` patterns re-include). */
export function ignoreMatcher(patterns: string[]): ((relPath: string) => boolean) & { exceptions: boolean } {
  const compiled: Pattern[] = patterns.map((p) => {
    const exclusion = p.startsWith("!");
    return { exclusion, match: compile(exclusion ? p.slice(1) : p) };
  });
  const matches = (relPath: string): boolean => {
    const parents = path.posix.dirname(relPath) === "." ? [] : path.posix.dirname(relPath).split("/");
    let matched = false;
    for (const pattern of compiled) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(relPath);
      for (let i = 0; !match && i < parents.length; i++) match = pattern.match(parents.slice(0, i + 1).join("/"));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  };
  return Object.assign(matches, { exceptions: compiled.some((p) => p.exclusion) });
}

/** Go's fs.FileMode.String() for the modes a build context holds. */
export function goFileMode(mode: number, isSymlink: boolean): string {
  let s = "";
  if (isSymlink) s += "L";
  if (mode & 0o4000) s += "u";
  if (mode & 0o2000) s += "g";
  if (mode & 0o1000) s += "t";
  if (s === "") s = "-";
  const rwx = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? rwx[i] : "-";
  return s;
}

function ignorePatternsFor(dockerfile: string, context: string): string[] {
  for (const candidate of [`${dockerfile}.dockerignore`, path.join(context, ".dockerignore")]) {
    if (existsSync(candidate)) return readIgnorePatterns(readFileSync(candidate, "utf8"));
  }
  return [];
}

/** The hex digest the real provider records as build.contextDigest (paths relative to `cwd`). */
export function hashContext(context: string, dockerfile: string, cwd = process.cwd()): string {
  const abs = (p: string): string => path.resolve(cwd, p);
  const ignored = ignoreMatcher(ignorePatternsFor(abs(dockerfile), abs(context)));
  const chunks: Buffer[] = [];
  const add = (relName: string, mode: string, content: Buffer | string): void => {
    chunks.push(Buffer.from(path.posix.normalize(relName)), Buffer.from(mode), createHash("sha256").update(content).digest(), Buffer.from([0]));
  };
  add("Dockerfile", goFileMode(0, false), readFileSync(abs(dockerfile)));
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, name);
      const st = lstatSync(full);
      if (ignored(relPath)) {
        // fsutil.Walk skips an excluded folder unless a `!` pattern could re-include something in it.
        if (!st.isDirectory() || !ignored.exceptions) continue;
      }
      if (st.isDirectory()) {
        walk(full, relPath);
      } else if (st.isSymbolicLink()) {
        // filepath.EvalSymlinks of <context>/<rel>: the resolved path, in the form it was asked in.
        const resolved = realpathSync(full);
        const shown = path.isAbsolute(context) ? resolved : path.relative(cwd, resolved);
        add(relPath, goFileMode(st.mode, true), shown.split(path.sep).join("/"));
      } else if (st.isFile()) {
        add(relPath, goFileMode(st.mode, false), readFileSync(full));
      }
    }
  };
  walk(abs(context), "");
  return createHash("sha256").update(Buffer.concat(chunks)).digest("hex");
}
