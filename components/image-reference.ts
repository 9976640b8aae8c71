// Container image references as Docker, podman and Fly parse them: the grammar of
// github.com/distribution/reference (regexp.go, reference.go), which flyctl uses for `--image`.
// Pure: no Pulumi or HTTP. A reference Fly cannot parse would only fail at machine create.

const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const name = `(?:${domainAndPort}/)?${remoteName}`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const referencePattern = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

/** distribution/reference NameTotalLengthMax. */
const NAME_MAX = 255;
/** Lengths of the encoded part of the digests registries use (opencontainers/go-digest). */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why `ref` is not an image reference, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  const match = referencePattern.exec(ref);
  if (!match) {
    return "is not an image reference: [registry/]repository[:tag][@sha256:<64 hex>], lower-case repository, e.g. ghcr.io/owner/app:1.2.0";
  }
  const [, repository = "", , digestPart] = match;
  if (repository.length > NAME_MAX) return `has a repository name longer than ${NAME_MAX} characters`;
  if (digestPart) {
    const [algorithm = "", encoded = ""] = digestPart.split(":");
    const expected = DIGEST_HEX_LENGTH[algorithm];
    if (expected === undefined) return `has a digest of unknown algorithm "${algorithm}" (use sha256)`;
    if (encoded.length !== expected || !/^[0-9a-f]+$/.test(encoded)) {
      return `has a malformed ${algorithm} digest: it must be ${expected} lower-case hex digits`;
    }
  }
  return undefined;
}
