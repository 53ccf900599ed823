// Validates Kubernetes manifests offline against the API schemas (kubernetes-models, and
// the Prometheus Operator's for ServiceMonitor/PrometheusRule). Reads multi-document YAML
// (e.g. `kubectl kustomize` output) on stdin; prints "<kind>/<name> ok" per object, exits 1
// on the first invalid one. With --sidecar it also checks the exporter sidecar contract.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// The packages are ES modules installed in $BRRT_NODE_DIR (node_env.sh): resolve them there.
const base = process.env.BRRT_NODE_DIR || dirname(fileURLToPath(import.meta.url));
const resolve = createRequire(join(base, "package.json"));
const load = (spec) => {
  const pkgDir = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
  const sub = spec.slice(pkgDir.length);
  const root = dirname(resolve.resolve(`${pkgDir}/package.json`));
  return import(pathToFileURL(join(root, sub, sub.endsWith(".js") || sub === "" ? "" : "index.js")).href);
};
const YAML = (await load("yaml/dist/index.js"));
const k8s = await load("kubernetes-models/v1");
const apps = await load("kubernetes-models/apps/v1");
const mon = await load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1");
const kinds = {
  "apps/v1/Deployment": () => apps.Deployment,
  "v1/Service": () => k8s.Service,
  "v1/ConfigMap": () => k8s.ConfigMap,
  "monitoring.coreos.com/v1/ServiceMonitor": () => mon.ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": () => mon.PrometheusRule,
};
const docs = YAML.parseAllDocuments(readFileSync(0, "utf8")).map((d) => d.toJS()).filter(Boolean);
if (docs.length === 0) { console.error("no objects"); process.exit(1); }
for (const d of docs) {
  const key = `${d.apiVersion}/${d.kind}`;
  if (!kinds[key]) { console.error(`no schema for ${key}`); process.exit(1); }
  const Model = kinds[key]();
  try { new Model(d).validate(); } catch (e) { console.error(`${d.kind}/${d.metadata && d.metadata.name}: ${e.message}`); process.exit(1); }
  console.log(`${d.kind}/${d.metadata.name} ok`);
}
if (process.argv.includes("--sidecar")) {
  const fail = (m) => { console.error("sidecar: " + m); process.exit(1); };
  const dep = docs.find((d) => d.kind === "Deployment");
  const svc = docs.find((d) => d.kind === "Service");
  const spec = dep.spec.template.spec;
  const vol = spec.volumes.find((v) => v.emptyDir);
  if (!vol || vol.emptyDir.medium !== "Memory") fail("the segment volume must be an emptyDir with medium: Memory");
  const app = spec.containers.find((c) => c.name === "app"), exp = spec.containers.find((c) => c.name === "exporter");
  if (!app || !exp) fail("needs an app and an exporter container");
  const mount = (c) => (c.volumeMounts || []).find((m) => m.name === vol.name);
  const env = (c) => ((c.env || []).find((e) => e.name === "BRRT_STAT_DIR") || {}).value;
  if (!mount(app) || !mount(exp)) fail("both containers mount the segment volume");
  if (mount(app).mountPath !== env(app) || mount(exp).mountPath !== env(exp)) fail("BRRT_STAT_DIR is the mount path in both");
  if (!mount(exp).readOnly) fail("the exporter mounts the segments read-only");
  const args = exp.args.join(" ");
  const port = (args.match(/--listen \S+:(\d+)/) || [])[1];
  const cport = exp.ports.find((p) => p.name === "metrics");
  if (!port || !cport || Number(port) !== cport.containerPort) fail("exporter --listen port = its metrics containerPort");
  if (!svc.spec.ports.some((p) => p.targetPort === "metrics")) fail("the Service exposes the metrics port");
  const ann = dep.spec.template.metadata.annotations || {};
  if (ann["prometheus.io/scrape"] !== "true" || ann["prometheus.io/port"] !== port) fail("scrape annotations name the port");
  if (exp.livenessProbe.httpGet.path !== "/healthz") fail("the exporter's liveness probe is /healthz");
  console.log("sidecar contract ok");
}
