// Validates Kubernetes manifests offline against the API schemas (kubernetes-models, and
// the Prometheus Operator's for ServiceMonitor/PrometheusRule). Reads multi-document YAML
// (e.g. `kubectl kustomize` output) on stdin; prints "<kind>/<name> ok" per object, exits 1
// on the first invalid one. With --sidecar it also checks the exporter sidecar contract.
// With --each FILE..., it judges each file and prints one verdict line per file.
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
// Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// on every container of a pod spec, plus readOnlyRootFilesystem. Returns the violations.
function restricted(spec) {
  const bad = [];
  const pod = spec.securityContext || {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) bad.push("pod: host namespaces");
  for (const v of spec.volumes || []) {
    const type = Object.keys(v).find((k) => k !== "name");
    const ok = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
    if (!ok.includes(type)) bad.push(`volume ${v.name}: type ${type} is not allowed`);
  }
  if (pod.seccompProfile && !["RuntimeDefault", "Localhost"].includes(pod.seccompProfile.type))
    bad.push("pod: seccompProfile must be RuntimeDefault or Localhost");
  if (pod.runAsUser === 0) bad.push("pod: runAsUser 0");
  const all = [...(spec.initContainers || []), ...spec.containers, ...(spec.ephemeralContainers || [])];
  for (const c of all) {
    const sc = c.securityContext || {};
    const say = (m) => bad.push(`container ${c.name}: ${m}`);
    if (sc.privileged) say("privileged");
    if (sc.allowPrivilegeEscalation !== false) say("allowPrivilegeEscalation must be false");
    const caps = sc.capabilities || {};
    if (!(caps.drop || []).includes("ALL")) say("capabilities must drop ALL");
    if ((caps.add || []).some((a) => a !== "NET_BIND_SERVICE")) say("capabilities may add only NET_BIND_SERVICE");
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) say("runAsNonRoot must be true (container or pod)");
    if ((sc.runAsUser ?? pod.runAsUser) === 0) say("runAsUser 0");
    const sp = sc.seccompProfile || pod.seccompProfile;
    if (!sp || !["RuntimeDefault", "Localhost"].includes(sp.type)) say("seccompProfile RuntimeDefault (container or pod)");
    if (sc.readOnlyRootFilesystem !== true) say("readOnlyRootFilesystem must be true");
    if ((c.ports || []).some((p) => p.hostPort)) say("hostPort");
    const r = c.resources || {};
    if (!r.limits || !r.limits.memory || !r.limits.cpu || !r.requests || !r.requests.memory) say("needs memory/cpu limits and a memory request");
  }
  return bad;
}

// The exporter sidecar contract (k8s/sidecar); throws on the first broken rule.
function sidecar(docs) {
  const fail = (m) => { throw new Error("sidecar: " + m); };
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
  if (!vol.emptyDir.sizeLimit) fail("the emptyDir has a sizeLimit");
  // The writer refuses a world-writable directory and the emptyDir's root is 2777: the segments
  // live in a subdirectory the app creates, the same one for both.
  if (!env(app) || env(app) !== env(exp)) fail("BRRT_STAT_DIR is the same in both containers");
  if (!env(app).startsWith(mount(app).mountPath + "/") || !env(exp).startsWith(mount(exp).mountPath + "/"))
    fail("BRRT_STAT_DIR is a subdirectory of the mount in both");
  if (!mount(exp).readOnly) fail("the exporter mounts the segments read-only");
  if (mount(app).readOnly) fail("the app mounts the segments writable");
  // Two UIDs: the exporter reads 0640 segments through the pod's fsGroup.
  const uid = (c) => (c.securityContext || {}).runAsUser ?? (spec.securityContext || {}).runAsUser;
  if (!(spec.securityContext || {}).fsGroup) fail("the pod sets fsGroup (the exporter reads the segments as that group)");
  if (uid(app) === undefined || uid(exp) === undefined || uid(app) === uid(exp)) fail("app and exporter run as two different, numeric UIDs");
  const bad = restricted(spec);
  if (bad.length) fail("not Pod Security restricted: " + bad.join("; "));
  const args = exp.args.join(" ");
  const port = (args.match(/--listen \S+:(\d+)/) || [])[1];
  const cport = exp.ports.find((p) => p.name === "metrics");
  if (!port || !cport || Number(port) !== cport.containerPort) fail("exporter --listen port = its metrics containerPort");
  if (!svc.spec.ports.some((p) => p.targetPort === "metrics" && p.name === "metrics")) fail("the Service exposes the metrics port");
  // One scrape path: the ServiceMonitor, selected by kube-prometheus-stack; no annotations.
  const annotated = (o) => Object.keys(o || {}).some((k) => k.startsWith("prometheus.io/"));
  if (annotated(dep.spec.template.metadata.annotations) || annotated(svc.metadata.annotations))
    fail("prometheus.io annotations as well as the ServiceMonitor: scraped twice");
  const sm = docs.find((d) => d.kind === "ServiceMonitor");
  if (!sm) fail("a ServiceMonitor scrapes the exporter");
  if (!(sm.metadata.labels || {}).release) fail("the ServiceMonitor carries the release label kube-prometheus-stack selects");
  const sel = sm.spec.selector.matchLabels || {};
  if (!Object.entries(sel).every(([k, v]) => (svc.metadata.labels || {})[k] === v)) fail("the ServiceMonitor selects the Service");
  if (!sm.spec.endpoints.some((e) => e.port === "metrics" && e.path === "/metrics")) fail("the ServiceMonitor scrapes port metrics, /metrics");
  if (exp.livenessProbe.httpGet.path !== "/healthz") fail("the exporter's liveness probe is /healthz");
}

// Validates one multi-document YAML text; throws on the first invalid object or rule.
function validate(text, withSidecar) {
  const out = [];
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  if (docs.length === 0) throw new Error("no objects");
  for (const d of docs) {
    const key = `${d.apiVersion}/${d.kind}`;
    if (!kinds[key]) throw new Error(`no schema for ${key}`);
    const Model = kinds[key]();
    try { new Model(d).validate(); } catch (e) { throw new Error(`${d.kind}/${d.metadata && d.metadata.name}: ${e.message}`); }
    out.push(`${d.kind}/${d.metadata.name} ok`);
  }
  if (withSidecar) {
    sidecar(docs);
    out.push("sidecar contract ok");
  }
  return out;
}

const withSidecar = process.argv.includes("--sidecar");
if (process.argv.includes("--each")) {
  // --each FILE...: one verdict line per file ("FILE: accepted" / "FILE: rejected: why").
  for (const f of process.argv.slice(2).filter((a) => !a.startsWith("--"))) {
    try { validate(readFileSync(f, "utf8"), withSidecar); console.log(`${f}: accepted`); }
    catch (e) { console.log(`${f}: rejected: ${e.message}`); }
  }
} else {
  try { for (const l of validate(readFileSync(0, "utf8"), withSidecar)) console.log(l); }
  catch (e) { console.error(e.message); process.exit(1); }
}
