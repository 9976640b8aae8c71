// Loaded into every sandbox service process (node --import) so that fetch() to
// http://<app>.flycast and https://<app>.fly.dev goes through the sandbox proxy, which the
// processes cannot resolve otherwise. NO_PROXY keeps loopback (fake Twilio, health) direct.
// axios (used by the twilio library) honours HTTP(S)_PROXY on its own.
import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";

if (process.env.HTTP_PROXY ?? process.env.http_proxy) setGlobalDispatcher(new EnvHttpProxyAgent());
