// Is a user's VM working? The VM's GET /health reports `running` and `queued` (services/vm/src/routes/
// health.ts), but the VM is private (Flycast and 6PN only), so from outside Fly's network the fleet asks
// through the Machines API: a stopped or suspended machine runs nothing (idle, and it is not woken); a
// started one is asked by exec'ing a one-line `node` fetch of its own /health inside the machine (OpenAPI
// Machines_exec; the VM image runs Node, and exec does not pass Fly Proxy, so it does not count as
// traffic that keeps the VM awake). Anything the fleet cannot read counts as busy: a rollout never
// restarts a VM it could not see idle. The health check's output, which `npm run status` reads, is not
// used here: Fly keeps it from the last check, up to an interval (15 s) old.
import { isFlyNotFound, type FlyClient, type FlyMachine } from "../components/fly/client";
import { vmHealthSchema } from "../scripts/status/model";

export interface Activity {
  busy: boolean;
  /** Said in the rollout's report: the machine state, or what /health answered. */
  why: string;
}

/** What a rollout asks before it updates a user (tests and the benchmark pass their own). */
export interface VmActivity {
  of(vmApp: string): Promise<Activity>;
}

/** The VM's port (components/machine-configs.ts) on the loopback the VM listens on (HOST 0.0.0.0). */
export const HEALTH_COMMAND = [
  "node",
  "-e",
  "fetch('http://127.0.0.1:3001/health').then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(String(e)); process.exit(1); })",
];

const ASLEEP = new Set(["stopped", "suspended"]);

export class ExecHealthActivity implements VmActivity {
  constructor(private readonly fly: Pick<FlyClient, "machines">) {}

  async of(vmApp: string): Promise<Activity> {
    let machines: FlyMachine[];
    try {
      machines = await this.fly.machines.list(vmApp);
    } catch (err) {
      if (isFlyNotFound(err)) return { busy: false, why: `app ${vmApp} does not exist yet` };
      return { busy: true, why: `could not list the machines of ${vmApp}: ${(err as Error).message}` };
    }
    const vm = machines.find((m) => m.state !== "destroyed");
    if (vm === undefined) return { busy: false, why: "no VM machine" };
    if (ASLEEP.has(vm.state)) return { busy: false, why: `VM ${vm.state}` };
    if (vm.state !== "started") return { busy: true, why: `VM is ${vm.state}; asked again in a later wave` };
    try {
      const result = await this.fly.machines.exec(vmApp, vm.id, { command: HEALTH_COMMAND, timeoutSeconds: 10 });
      if (result.exitCode !== 0) return { busy: true, why: `its /health could not be read (exit ${result.exitCode}: ${result.stderr.trim().slice(0, 160)})` };
      const health = vmHealthSchema.safeParse(JSON.parse(result.stdout));
      if (!health.success) return { busy: true, why: `its /health answered something else: ${result.stdout.slice(0, 120)}` };
      const { running, queued } = health.data;
      return running + queued > 0
        ? { busy: true, why: `working: ${running} running, ${queued} queued` }
        : { busy: false, why: "VM started, nothing running or queued" };
    } catch (err) {
      return { busy: true, why: `its /health could not be read: ${(err as Error).message.split("\n")[0]}` };
    }
  }
}
