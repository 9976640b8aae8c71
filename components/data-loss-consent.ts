// Whether deleting the VM's /data is allowed, and how to allow it: shared by the stack's
// data-loss guard and the volume provider, so both refuse and allow alike. Pure.
//
// A destroy does not run the program, so its providers see textslash:allowDataLoss as the last
// `up` recorded it. When the config is invalid that `up` fails, and a destroy that could only be
// allowed through it could never run: TEXTSLASH_ALLOW_DATA_LOSS=true allows one destroy
// without it. The provider processes inherit the CLI's environment, so it is read at call time.

export const ALLOW_DATA_LOSS_ENV = "TEXTSLASH_ALLOW_DATA_LOSS";

/** Allowed by the stack's recorded setting or, for this one command, by the environment. */
export function dataLossAllowed(recorded: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return recorded === true || env[ALLOW_DATA_LOSS_ENV] === "true";
}

/** The two ways to allow a delete, as the refusal says them. */
export const HOW_TO_ALLOW_DELETE =
  "To allow it: `pulumi config set textslash:allowDataLoss true`, then `pulumi up` (a destroy reads the setting " +
  "the last up recorded), then retry. If that up fails on other settings, allow this one command without it: " +
  `\`${ALLOW_DATA_LOSS_ENV}=true pulumi destroy\`.`;
