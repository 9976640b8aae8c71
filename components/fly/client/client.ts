// The Fly Machines REST client: one object grouping the API areas, built cheaply at call time.
import { FlyAppsApi } from "./apps";
import { FlyHttp, type FlyClientOptions } from "./http";
import { FlyIpsApi } from "./ips";
import { FlyLeasesApi } from "./leases";
import { FlyMachinesApi } from "./machines";
import { FlySecretsApi } from "./secrets";
import { FlyVolumesApi } from "./volumes";

export class FlyClient {
  readonly apps: FlyAppsApi;
  readonly machines: FlyMachinesApi;
  readonly leases: FlyLeasesApi;
  readonly volumes: FlyVolumesApi;
  readonly secrets: FlySecretsApi;
  readonly ips: FlyIpsApi;
  /** The API root in use (origin + `/v1`); never includes the token. */
  readonly apiRoot: string;

  constructor(options: FlyClientOptions = {}) {
    const http = new FlyHttp(options);
    this.apiRoot = http.apiRoot;
    this.apps = new FlyAppsApi(http);
    this.machines = new FlyMachinesApi(http);
    this.leases = new FlyLeasesApi(http);
    this.volumes = new FlyVolumesApi(http);
    this.secrets = new FlySecretsApi(http);
    this.ips = new FlyIpsApi(http);
  }
}
