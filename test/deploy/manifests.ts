/**
 * Deployment files: every YAML parses and carries what it must, references
 * between them resolve, settings agree with what the agent reads, and the
 * systemd unit passes `systemd-analyze verify`.
 *
 *   npx tsx test/deploy/manifests.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoPath } from './lib/repo.ts';
import { Tap } from './lib/tap.ts';

const tap = new Tap();
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function docs(path: string): Obj[] {
  const all = parseAllDocuments(readFileSync(path, 'utf8'));
  for (const d of all) if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
  return all.map((d) => d.toJS() as Obj).filter((d) => d != null);
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/* ------------------------------------------------------------ every YAML parses */
const parsed = new Map<string, Obj[]>();
for (const f of [...yamlFiles(repoPath('deploy')), ...yamlFiles(repoPath('dashboards/provisioning')), ...yamlFiles(repoPath('dashboards/alerts'))]) {
  const rel = f.slice(repoPath('.').length + 1);
  try {
    const d = docs(f);
    parsed.set(rel, d);
    tap.check(`${rel} parses`, d.length === 0 ? 'empty' : undefined);
  } catch (err) {
    tap.fail(`${rel} parses`, (err as Error).message);
  }
}

/** The GDL_* variables the agent reads (agent/src/config.ts), to catch typos in env settings. */
const agentEnv = new Set(readFileSync(repoPath('agent/src/config.ts'), 'utf8').match(/\bGDL_[A-Z_]+\b/g) ?? []);

/* ---------------------------------------------------------------- Kubernetes */
// What `kubectl apply -k deploy/kubernetes` applies: the manifests in the
// kustomization directories it names (recursively), plus the ConfigMaps their
// configMapGenerators make; and the example Secret, applied separately.
const k8s: Obj[] = [];
const kustProblems: string[] = [];
function loadKustomization(dir: string): void {
  const rel = `${dir}/kustomization.yaml`;
  const k = parsed.get(rel)?.[0];
  if (!k) {
    kustProblems.push(`${rel} missing`);
    return;
  }
  for (const r of (k.resources ?? []) as string[]) {
    const path = join(dir, r);
    if (existsSync(repoPath(path, 'kustomization.yaml'))) loadKustomization(path);
    else if (parsed.has(path)) k8s.push(...parsed.get(path)!);
    else kustProblems.push(`${rel}: resource ${r} not found`);
    if (/secret/i.test(r)) kustProblems.push(`${rel}: ${r} would deploy a placeholder secret`);
  }
  for (const g of (k.configMapGenerator ?? []) as Obj[]) {
    const data: Record<string, string> = {};
    for (const f of (g.files ?? []) as string[]) {
      const [key, file] = f.includes('=') ? f.split('=', 2) as [string, string] : [basename(f), f];
      if (!existsSync(repoPath(dir, file))) kustProblems.push(`${rel}: generator file ${file} not found`);
      else data[key] = readFileSync(repoPath(dir, file), 'utf8');
    }
    k8s.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, namespace: k.namespace }, data });
  }
}
loadKustomization('deploy/kubernetes');
tap.check('kustomization resources and generator files exist; no placeholder Secret deployed', kustProblems.join('; ') || undefined);
k8s.push(...(parsed.get('deploy/kubernetes/secret-token.example.yaml') ?? []));

const find = (kind: string, name: string) => k8s.find((o) => o.kind === kind && o.metadata?.name === name);
const NS = 'gpu-dma-lock';

for (const o of k8s) {
  const id = `${o.kind}/${o.metadata?.name}`;
  const problems = [];
  if (!o.apiVersion || !o.kind || !o.metadata?.name) problems.push('apiVersion, kind and metadata.name required');
  if (o.kind !== 'Namespace' && o.metadata?.namespace !== NS) problems.push(`namespace ${o.metadata?.namespace}, want ${NS}`);
  tap.check(`k8s ${id} has identity and namespace`, problems.join('; ') || undefined);
}
tap.check('k8s: RBAC-free (no Role, ClusterRole or bindings)', k8s.some((o) => /Role(Binding)?$/.test(o.kind)) ? 'found RBAC objects' : undefined);

// Every workload: selector selects its pods, mounts name volumes, and every
// ConfigMap/Secret volume names an object and keys that exist.
const workloads = k8s.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
for (const w of workloads) {
  const id = `${w.kind}/${w.metadata.name}`;
  const spec = w.spec.template.spec as Obj;
  const labels = w.spec.template.metadata?.labels ?? {};
  const problems: string[] = [];
  if (!Object.entries(w.spec.selector?.matchLabels ?? { none: 'x' }).every(([k, v]) => labels[k] === v)) problems.push('selector does not select its pods');
  const volumes = new Map<string, Obj>((spec.volumes ?? []).map((v: Obj) => [v.name, v]));
  for (const c of spec.containers as Obj[]) {
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${c.name}: mount ${m.name} has no volume`);
    if (!c.image || !/:[\w.-]+$/.test(c.image) || c.image.endsWith(':latest')) problems.push(`${c.name}: image ${c.image} not pinned`);
    if (!c.livenessProbe || !c.readinessProbe) problems.push(`${c.name}: needs liveness and readiness probes`);
    if (!c.resources?.requests || !c.resources?.limits?.memory) problems.push(`${c.name}: needs requests and a memory limit`);
  }
  for (const v of volumes.values()) {
    if (v.configMap) {
      const cm = find('ConfigMap', v.configMap.name);
      if (!cm) problems.push(`ConfigMap ${v.configMap.name} not defined`);
      else for (const i of v.configMap.items ?? []) if (!(i.key in (cm.data ?? {}))) problems.push(`ConfigMap ${v.configMap.name} has no key ${i.key}`);
    }
    if (v.secret) {
      const sec = find('Secret', v.secret.secretName);
      if (!sec) problems.push(`Secret ${v.secret.secretName} not defined`);
      else for (const i of v.secret.items ?? []) if (!(i.key in (sec.stringData ?? sec.data ?? {}))) problems.push(`Secret ${v.secret.secretName} has no key ${i.key}`);
    }
  }
  tap.check(`k8s ${id}: selector, mounts, images, probes, resources, ConfigMap/Secret references resolve`, problems.join('; ') || undefined);
}

// Every Service selects a workload and its target ports exist there.
for (const svc of k8s.filter((o) => o.kind === 'Service')) {
  const w = workloads.find((x) => Object.entries(svc.spec.selector ?? {}).every(([k, v]) => x.spec.template.metadata?.labels?.[k] === v));
  const ports = (w?.spec.template.spec.containers as Obj[] | undefined)?.flatMap((c) => c.ports ?? []) ?? [];
  const missing = (svc.spec.ports as Obj[]).filter((p) => !ports.some((cp: Obj) => cp.name === p.targetPort || cp.containerPort === p.targetPort));
  tap.check(
    `k8s Service/${svc.metadata.name} selects a workload and its target ports`,
    !w ? 'selects no workload' : missing.length ? `no container port ${missing.map((p) => p.targetPort).join(', ')}` : undefined,
  );
}

const sa = find('ServiceAccount', 'gdl-agent');
tap.check('ServiceAccount mounts no API token', sa?.automountServiceAccountToken === false ? undefined : 'automountServiceAccountToken must be false');

const ds = k8s.find((o) => o.kind === 'DaemonSet');
if (!ds) {
  tap.fail('DaemonSet present', 'no DaemonSet in deploy/kubernetes');
} else {
  const spec = ds.spec.template.spec as Obj;
  const podMeta = ds.spec.template.metadata as Obj;
  const c = (spec.containers as Obj[])[0]!;
  const env = new Map<string, Obj>((c.env as Obj[]).map((e) => [e.name, e]));
  const envValue = (n: string) => env.get(n)?.value as string | undefined;
  const mounts = c.volumeMounts as Obj[];
  const volumes = new Map<string, Obj>((spec.volumes as Obj[]).map((v) => [v.name, v]));
  const mountAt = (path: string) => mounts.find((m) => m.mountPath === path);
  const port = (c.ports as Obj[]).find((p) => p.name === 'metrics');

  tap.check('DaemonSet selector matches its pod labels', Object.entries(ds.spec.selector.matchLabels).every(([k, v]) => podMeta.labels?.[k] === v) ? undefined : 'selector does not select the template');
  tap.check('DaemonSet uses the defined ServiceAccount', sa && spec.serviceAccountName === sa.metadata.name && spec.automountServiceAccountToken === false ? undefined : `serviceAccountName ${spec.serviceAccountName}`);
  tap.check('DaemonSet hostPID (host pids in events and CUDA uprobes)', spec.hostPID === true ? undefined : 'hostPID not true');
  tap.check('container image pinned to a version', /^[\w.\-/]+:[\w.\-]+$/.test(c.image) && !c.image.endsWith(':latest') ? undefined : `image ${c.image}`);
  tap.check('container runs the agent', Array.isArray(c.command) && c.command.join(' ').includes('gdl.mjs agent') ? undefined : `command ${JSON.stringify(c.command)}`);

  const wantEnv = ['GDL_LISTEN', 'GDL_PORT', 'GDL_METRICS_LISTEN', 'GDL_METRICS_PORT', 'GDL_BACKEND', 'GDL_POLICY', 'GDL_TOKEN_FILE', 'GDL_OTLP_ENDPOINT'];
  const missingEnv = wantEnv.filter((n) => !env.has(n));
  const unknownEnv = [...env.keys()].filter((n) => n.startsWith('GDL_') && !agentEnv.has(n));
  tap.check('container env sets listeners, backend, policy, token, OTLP', missingEnv.length ? `missing ${missingEnv.join(', ')}` : undefined);
  tap.check('container GDL_* variables are ones the agent reads', unknownEnv.length ? `unknown: ${unknownEnv.join(', ')}` : undefined);
  tap.check('the API stays on loopback', envValue('GDL_LISTEN') === '127.0.0.1' ? undefined : `GDL_LISTEN ${envValue('GDL_LISTEN')}`);
  tap.check('the telemetry listener is on the pod IP (Prometheus, probes)', envValue('GDL_METRICS_LISTEN') === '0.0.0.0' ? undefined : `GDL_METRICS_LISTEN ${envValue('GDL_METRICS_LISTEN')}`);
  tap.check(
    'GDL_METRICS_PORT = containerPort = prometheus.io/port',
    port && String(port.containerPort) === envValue('GDL_METRICS_PORT') && podMeta.annotations?.['prometheus.io/port'] === envValue('GDL_METRICS_PORT')
      ? undefined
      : `env ${envValue('GDL_METRICS_PORT')}, port ${port?.containerPort}, annotation ${podMeta.annotations?.['prometheus.io/port']}`,
  );
  const np = k8s.find((o) => o.kind === 'NetworkPolicy');
  const npPorts = ((np?.spec?.ingress ?? []) as Obj[]).flatMap((r) => (r.ports ?? []) as Obj[]);
  tap.check(
    'a NetworkPolicy selects the agent pods and admits only the telemetry port',
    np && Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => podMeta.labels?.[k] === v) && np.spec.policyTypes?.includes('Ingress')
      && npPorts.length > 0 && npPorts.every((p) => p.port === 'metrics' || p.port === port?.containerPort)
      ? undefined
      : JSON.stringify(np?.spec),
  );
  tap.check(
    'Prometheus scrape annotations',
    podMeta.annotations?.['prometheus.io/scrape'] === 'true' && podMeta.annotations?.['prometheus.io/path'] === '/metrics' ? undefined : JSON.stringify(podMeta.annotations),
  );

  const probe = (p: Obj | undefined, path: string) =>
    p?.httpGet?.path === path && (p.httpGet.port === 'metrics' || p.httpGet.port === port?.containerPort) ? undefined : `${JSON.stringify(p?.httpGet)}`;
  tap.check('livenessProbe GET /healthz on the telemetry port', probe(c.livenessProbe, '/healthz'));
  tap.check('readinessProbe GET /readyz on the telemetry port', probe(c.readinessProbe, '/readyz'));

  const res = c.resources as Obj | undefined;
  tap.check('resources: cpu/memory requests and a memory limit', res?.requests?.cpu && res?.requests?.memory && res?.limits?.memory ? undefined : JSON.stringify(res));

  const sc = c.securityContext as Obj | undefined;
  const caps = new Set<string>(sc?.capabilities?.add ?? []);
  tap.check(
    'securityContext: read-only root, drop ALL, add only SYS_ADMIN/BPF/PERFMON',
    sc?.readOnlyRootFilesystem === true && (sc?.capabilities?.drop ?? []).includes('ALL') &&
      [...caps].every((x) => ['SYS_ADMIN', 'BPF', 'PERFMON'].includes(x)) && caps.has('SYS_ADMIN') && caps.has('BPF')
      ? undefined
      : JSON.stringify(sc),
  );

  const unresolved = mounts.filter((m) => !volumes.has(m.name)).map((m) => m.name);
  tap.check('every volumeMount names a volume', unresolved.length ? unresolved.join(', ') : undefined);
  for (const [path, type] of [['/dev/gpu_dma_lock', 'CharDevice'], ['/sys/fs/bpf', 'Directory'], ['/sys/kernel/tracing', 'Directory']] as const) {
    const m = mountAt(path);
    const v = m && volumes.get(m.name);
    tap.check(`host ${path} mounted (hostPath ${type})`, v?.hostPath?.path === path && v.hostPath.type === type ? undefined : JSON.stringify(v));
  }
  tap.check('tracefs mounted read-only', mountAt('/sys/kernel/tracing')?.readOnly === true ? undefined : 'not readOnly');

  // The policy: ConfigMap exists, the key exists, GDL_POLICY is the mounted file, and it parses.
  const policyPath = envValue('GDL_POLICY') ?? '';
  const pm = mounts.find((m) => policyPath.startsWith(m.mountPath + '/'));
  const pv = pm && volumes.get(pm.name);
  const cm = pv?.configMap && find('ConfigMap', pv.configMap.name);
  const item = pv?.configMap?.items?.find((i: Obj) => i.path === basename(policyPath));
  let policyProblem: string | undefined;
  if (!pv?.configMap) policyProblem = `GDL_POLICY ${policyPath} is not in a ConfigMap volume`;
  else if (!cm) policyProblem = `ConfigMap ${pv.configMap.name} not defined`;
  else if (!item || !(item.key in cm.data)) policyProblem = `no item/key for ${basename(policyPath)}`;
  else {
    const policy = docs0(cm.data[item.key]);
    if (!Array.isArray(policy?.agents) || policy.agents.length === 0) policyProblem = 'policy has no agents';
  }
  tap.check('GDL_POLICY resolves to a key of the policy ConfigMap, which parses', policyProblem);

  // The token: a Secret (the example, applied separately) with the key mounted at GDL_TOKEN_FILE.
  const tokenPath = envValue('GDL_TOKEN_FILE') ?? '';
  const tm = mounts.find((m) => tokenPath.startsWith(m.mountPath + '/'));
  const tv = tm && volumes.get(tm.name);
  const secret = tv?.secret && find('Secret', tv.secret.secretName);
  const titem = tv?.secret?.items?.find((i: Obj) => i.path === basename(tokenPath));
  tap.check(
    'GDL_TOKEN_FILE resolves to a key of the token Secret',
    !tv?.secret ? `GDL_TOKEN_FILE ${tokenPath} is not in a Secret volume`
      : !secret ? `Secret ${tv.secret.secretName} not defined (secret-token.example.yaml)`
        : !titem || !(titem.key in (secret.stringData ?? secret.data ?? {})) ? 'no key for the token file'
          : tm?.readOnly !== true ? 'token mount not read-only' : undefined,
  );

  const tmpMount = mountAt('/tmp');
  tap.check('writable /tmp despite the read-only root', tmpMount && volumes.get(tmpMount.name)?.emptyDir ? undefined : 'no emptyDir at /tmp');
}

function docs0(text: string): Obj | undefined {
  return parseAllDocuments(text)[0]?.toJS() as Obj | undefined;
}

/* ------------------------------------------------------------ OTel collector */
const col = parsed.get('deploy/otel-collector/config.yaml')?.[0];
if (!col) tap.fail('otel-collector config present', 'deploy/otel-collector/config.yaml missing');
else {
  const problems: string[] = [];
  for (const [name, p] of Object.entries(col.service?.pipelines ?? {}) as [string, Obj][]) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const ref of p[kind] ?? []) if (!(ref in (col[kind] ?? {}))) problems.push(`pipeline ${name}: ${kind.slice(0, -1)} ${ref} undefined`);
    }
    if (!p.receivers?.length || !p.exporters?.length) problems.push(`pipeline ${name} needs receivers and exporters`);
  }
  for (const e of col.service?.extensions ?? []) if (!(e in (col.extensions ?? {}))) problems.push(`extension ${e} undefined`);
  tap.check('collector pipelines reference defined components', problems.join('; ') || undefined);
  const traces = col.service?.pipelines?.traces;
  tap.check(
    'collector traces pipeline: OTLP in, OTLP out (Tempo/Jaeger)',
    traces?.receivers?.includes('otlp') && traces.exporters.some((e: string) => e === 'otlp' || e.startsWith('otlp/')) ? undefined : JSON.stringify(traces),
  );
  tap.check('collector has no metrics pipeline (Prometheus scrapes the agent)', col.service?.pipelines?.metrics ? 'metrics pipeline present' : undefined);
  // The agent's OTLP endpoints (k8s and systemd) must hit the collector's HTTP receiver port.
  const httpPort = String(col.receivers?.otlp?.protocols?.http?.endpoint ?? '').split(':').pop();
  const dsEndpoint = (ds?.spec.template.spec.containers[0].env as Obj[] | undefined)?.find((e) => e.name === 'GDL_OTLP_ENDPOINT')?.value ?? '';
  const envFile = readFileSync(repoPath('deploy/systemd/agent.env.example'), 'utf8');
  const unitEndpoint = /^GDL_OTLP_ENDPOINT=(.*)$/m.exec(envFile)?.[1] ?? '';
  // In Kubernetes: the DaemonSet's endpoint is the collector Service, whose
  // port leads to the container port the receiver listens on, and the
  // collector reads the config.yaml it is given.
  const host = dsEndpoint ? new URL(dsEndpoint).hostname : '';
  const svc = find('Service', host.split('.')[0] ?? '');
  const svcPort = (svc?.spec.ports as Obj[] | undefined)?.find((p) => String(p.port) === (dsEndpoint ? new URL(dsEndpoint).port : ''));
  const colDep = k8s.find((o) => o.kind === 'Deployment' && o.metadata.name === svc?.metadata.name);
  const colC = colDep?.spec.template.spec.containers[0] as Obj | undefined;
  const cport = (colC?.ports as Obj[] | undefined)?.find((p) => p.name === svcPort?.targetPort || p.containerPort === svcPort?.targetPort);
  const cfgArg = ((colC?.args ?? []) as string[]).find((a) => a.startsWith('--config='))?.slice('--config='.length) ?? '';
  const cfgMount = (colC?.volumeMounts as Obj[] | undefined)?.find((m) => cfgArg.startsWith(m.mountPath + '/'));
  const cfgVol = (colDep?.spec.template.spec.volumes as Obj[] | undefined)?.find((v) => v.name === cfgMount?.name);
  const cfgItem = cfgVol?.configMap?.items?.find((i: Obj) => cfgArg === `${cfgMount?.mountPath}/${i.path}`);
  const genCfg = cfgVol && find('ConfigMap', cfgVol.configMap?.name)?.data?.[cfgItem?.key];
  tap.check(
    'DaemonSet OTLP endpoint -> collector Service -> receiver port',
    !host.endsWith(`.${NS}.svc`) ? `endpoint host ${host} is not a Service in ${NS}`
      : !svc ? `no Service ${host.split('.')[0]}`
        : !svcPort || !cport ? 'the Service port does not lead to a collector container port'
          : String(cport.containerPort) !== httpPort ? `container port ${cport.containerPort}, receiver :${httpPort}` : undefined,
  );
  tap.check(
    'collector Deployment runs deploy/otel-collector/config.yaml',
    genCfg === readFileSync(repoPath('deploy/otel-collector/config.yaml'), 'utf8') ? undefined : `--config=${cfgArg} does not resolve to the generated ConfigMap of config.yaml`,
  );
  tap.check(
    'agent OTLP endpoints target the collector HTTP receiver port',
    [dsEndpoint, unitEndpoint].every((u) => u && new URL(u).port === httpPort) ? undefined : `receiver :${httpPort}, agent ${dsEndpoint} / ${unitEndpoint}`,
  );
}

/* ---------------------------------------------------------- Grafana provisioning */
const dsFiles = [...parsed].filter(([f]) => f.startsWith('dashboards/provisioning/datasources/')).flatMap(([, d]) => d.flatMap((x) => x.datasources ?? []));
const types = new Map(dsFiles.map((d: Obj) => [d.type, d]));
tap.check('provisioned datasources: prometheus and tempo with fixed uids', types.get('prometheus')?.uid && types.get('tempo')?.uid ? undefined : JSON.stringify(dsFiles));
const t2m = types.get('tempo')?.jsonData?.tracesToMetrics?.datasourceUid;
tap.check('Tempo links back to the provisioned Prometheus', t2m === types.get('prometheus')?.uid ? undefined : `tracesToMetrics ${t2m}`);
const providers = [...parsed].filter(([f]) => f.startsWith('dashboards/provisioning/dashboards/')).flatMap(([, d]) => d.flatMap((x) => x.providers ?? []));
tap.check(
  'dashboard provider reads files from a path',
  providers.length && providers.every((p: Obj) => p.type === 'file' && p.options?.path && p.allowUiUpdates === false) ? undefined : JSON.stringify(providers),
);

/* ------------------------------------------------------------------ Prometheus */
{
  const tmp = mkdtempSync(join(tmpdir(), 'gdl-promcfg-'));
  try {
    // The rule path is where operators put it; point it at the repo's file.
    const cfg = readFileSync(repoPath('deploy/prometheus/prometheus.yml'), 'utf8').replace(
      /\/etc\/prometheus\/rules\/gpu-dma-lock\.rules\.yml/,
      repoPath('dashboards/alerts/gpu-dma-lock.rules.yml'),
    );
    writeFileSync(join(tmp, 'prometheus.yml'), cfg);
    const r = spawnSync('promtool', ['check', 'config', join(tmp, 'prometheus.yml')], { encoding: 'utf8' });
    tap.check('deploy/prometheus/prometheus.yml passes promtool check config', r.status === 0 ? undefined : (r.stderr || r.stdout || String(r.error)));
    const p = parsed.get('deploy/prometheus/prometheus.yml')?.[0];
    const jobs = (p?.scrape_configs ?? []) as Obj[];
    tap.check(
      'static scrape job matches the alert rules\' job and sets node',
      jobs.every((j) => /^gpu-dma-lock/.test(j.job_name) && (j.static_configs ?? []).every((s: Obj) => s.labels?.node)) && jobs.length ? undefined : JSON.stringify(jobs),
    );
    const kj = (parsed.get('deploy/prometheus/scrape-kubernetes.yml')?.[0]?.scrape_configs ?? []) as Obj[];
    const relabel = kj[0]?.relabel_configs ?? [];
    tap.check(
      'Kubernetes scrape job keeps annotated pods and sets node from the pod\'s node',
      /^gpu-dma-lock/.test(kj[0]?.job_name ?? '') &&
        relabel.some((r: Obj) => r.action === 'keep' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_scrape')) &&
        relabel.some((r: Obj) => r.target_label === 'node' && r.source_labels?.includes('__meta_kubernetes_pod_node_name'))
        ? undefined
        : JSON.stringify(kj),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/* -------------------------------------------------------------------- systemd */
{
  const unitPath = repoPath('deploy/systemd/gpu-dma-lock-agent.service');
  const unit = readFileSync(unitPath, 'utf8');
  const keys = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  const one = (k: string) => keys.get(k)?.at(-1);
  const want: [string, (v: string | undefined) => boolean][] = [
    ['ProtectSystem', (v) => v === 'strict'],
    ['ProtectHome', (v) => v === 'yes' || v === 'read-only'],
    ['NoNewPrivileges', (v) => v === 'yes'],
    ['Restart', (v) => v === 'on-failure'],
    ['ExecReload', (v) => (v ?? '').includes('-HUP')],
    ['EnvironmentFile', (v) => !!v],
    ['CapabilityBoundingSet', (v) => (v ?? '').split(/\s+/).sort().join(' ') === 'CAP_BPF CAP_PERFMON CAP_SYS_ADMIN'],
    ['ReadWritePaths', (v) => (v ?? '').includes('/sys/fs/bpf')],
    ['DeviceAllow', (v) => (v ?? '').startsWith('/dev/gpu_dma_lock')],
    ['ProtectKernelModules', (v) => v === 'yes'],
  ];
  for (const [k, ok] of want) tap.check(`unit ${k}=${one(k) ?? '(unset)'}`, ok(one(k)) ? undefined : 'not the hardened setting');

  const envFile = readFileSync(repoPath('deploy/systemd/agent.env.example'), 'utf8');
  const unknown = [...envFile.matchAll(/^(GDL_[A-Z_]+)=/gm)].map((m) => m[1]!).filter((n) => !agentEnv.has(n));
  tap.check('agent.env.example sets only variables the agent reads', unknown.length ? unknown.join(', ') : undefined);

  // systemd-analyze verify checks that ExecStart's binary exists. The unit
  // names a bare `node`, which systemd looks up in its own fixed path
  // (/usr/local/bin, /usr/bin, ...); a CI machine may keep node elsewhere (a
  // tool cache, nvm), so verify a copy whose ExecStart names the node running
  // this test. Nothing else changes.
  const tmp = mkdtempSync(join(tmpdir(), 'gdl-unit-'));
  try {
    const copy = join(tmp, basename(unitPath));
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    // Complaints about other units on the host are not ours.
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(basename(unitPath)));
    tap.check(
      'systemd-analyze verify gpu-dma-lock-agent.service',
      r.error ? String(r.error) : r.status !== 0 || ours.length ? `exit ${r.status}: ${ours.join(' | ') || r.stderr}` : undefined,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = tap.exitCode;
