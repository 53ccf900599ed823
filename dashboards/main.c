/* brrt-stat-dashboard (run as `brrt-stat dashboard`): writes the Grafana dashboard ConfigMap,
 * the alert rules (Prometheus rules file and PrometheusRule) and their references, all from the
 * metric catalog. See docs/brrt-stat-dashboard.1 and docs/dashboard.md. */
#include "cli.h"
#include "dash.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files of --dir, under these names. */
#define FILE_CONFIGMAP "grafana-dashboard-performance.yaml"
#define FILE_RULES "brrtrouter-alerts.rules.yml"
#define FILE_PROMRULE "brrtrouter-prometheusrule.yaml"
#define FILE_KUSTOMIZATION "kustomization.yaml"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: brrt-stat dashboard [--namespace NS] [--folder NAME] [--output FILE]\n"
            "                           [--rules FILE] [--prometheus-rule FILE] [--json FILE]\n"
            "                           [--markdown FILE] [--dir DIR]\n"
            "                           [--config FILE] [--set KEY=VALUE]...\n\n"
            "Generates, from the metric catalog, the Grafana dashboard \"" DASH_TITLE "\"\n"
            "as a Kubernetes ConfigMap for the Grafana sidecar, and its alert rules.\n\n"
            "  --namespace, -n NS          namespace of the ConfigMap and PrometheusRule (default monitoring)\n"
            "  --folder, -f NAME           Grafana folder, as the sidecar's folder annotation (default BRRTRouter)\n"
            "  --output, -o FILE           the ConfigMap (\"-\": stdout, the default when nothing else is asked)\n"
            "  --rules, -r FILE            Prometheus rules file (rule_files:)\n"
            "  --prometheus-rule, -p FILE  the same rules as a monitoring.coreos.com/v1 PrometheusRule\n"
            "  --json, -j FILE             the bare dashboard JSON (import through the UI or API)\n"
            "  --markdown, -m FILE         the panel and alert reference of docs/dashboard.md\n"
            "  --dir, -d DIR               the ConfigMap, both rule files and a kustomization.yaml,\n"
            "                              as DIR/" FILE_CONFIGMAP ", DIR/" FILE_RULES ",\n"
            "                              DIR/" FILE_PROMRULE ", DIR/" FILE_KUSTOMIZATION "\n"
            "  --config, -c FILE           settings, KEY = VALUE lines (# comments), before --set\n"
            "  --set, -s KEY=VALUE         one setting (repeatable; see below)\n"
            "  --help, -h                  this text\n\n"
            "Files are replaced atomically (written next to the target, then renamed).\n\n");
    dash_config_help(out);
    fprintf(out, "\nexit status:\n");
    cli_print_exit_codes(out);
}

typedef int (*writer_fn)(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen);

static int write_header(FILE *f)
{
    yaml_comment(f, DASH_GENERATED_NOTE);
    fputs("---\n", f);
    return 0;
}

static int w_configmap(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    char *json = dash_json_text(dash);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    write_header(f);
    fprintf(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " DASH_CONFIGMAP_NAME "\n");
    fprintf(f, "  namespace: %s\n", o->ns);
    fprintf(f, "  labels:\n"
               "    grafana_dashboard: \"1\"\n"
               "    app.kubernetes.io/name: brrtrouter\n"
               "    app.kubernetes.io/component: dashboard\n"
               "    app.kubernetes.io/managed-by: brrt-stat-dashboard\n"
               "  annotations:\n"
               "    # the Grafana folder, for the dashboard sidecar (kiwigrid/k8s-sidecar) with\n"
               "    # foldersFromFilesStructure: its default annotation and the usual folderAnnotation\n"
               "    k8s-sidecar-target-directory: ");
    yaml_quoted(f, o->folder);
    fprintf(f, "\n    grafana_folder: ");
    yaml_quoted(f, o->folder);
    fprintf(f, "\ndata:\n  " DASH_FILE_KEY ": ");
    yaml_block(f, 4, json);
    free(json);
    return 0;
}

static int w_rules(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    (void)o;
    (void)dash;
    write_header(f);
    return rules_groups(f, 0, o->cfg, err, errlen);
}

static int w_promrule(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    (void)dash;
    write_header(f);
    fprintf(f, "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
               "  name: " RULES_NAME "\n  namespace: %s\n", o->ns);
    fprintf(f, "  labels:\n"
               "    app.kubernetes.io/name: brrtrouter\n"
               "    app.kubernetes.io/component: alert-rules\n"
               "    app.kubernetes.io/managed-by: brrt-stat-dashboard\n"
               "    # the ruleSelector of kube-prometheus-stack installed as `helm install\n"
               "    # kube-prometheus-stack ...` (another release name: docs/deploy.md's overlay)\n"
               "    release: kube-prometheus-stack\n"
               "    # kube-prometheus' ruleSelector\n"
               "    prometheus: k8s\n"
               "    role: alert-rules\n"
               "spec:\n");
    return rules_groups(f, 2, o->cfg, err, errlen);
}

static int w_kustomization(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    (void)o;
    (void)dash;
    (void)err;
    (void)errlen;
    write_header(f);
    fprintf(f, "# " FILE_RULES " is the same rules as a plain Prometheus rules file (rule_files:),\n"
               "# for a Prometheus without the Operator.\n"
               "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
               "  - " FILE_CONFIGMAP "\n  - " FILE_PROMRULE "\n");
    return 0;
}

static int w_json(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    (void)o;
    char *json = dash_json_text(dash);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fputs(json, f);
    free(json);
    return 0;
}

static int w_markdown(FILE *f, const struct dash_opts *o, const cJSON *dash, char *err, size_t errlen)
{
    (void)dash;
    fprintf(f, "<!-- generated by brrt-stat dashboard --markdown: do not edit by hand -->\n\n");
    dash_config_markdown(f);
    fprintf(f, "## Panel reference\n\n"
               "Every query as Grafana sends it, before variable substitution.\n\n");
    if (dash_markdown(f, o->cfg, err, errlen))
        return -1;
    fprintf(f, "## Alert reference\n\n"
               "Every rule as Prometheus loads it; what each alert means and what to do: "
               "[runbook.md](runbook.md).\n\n");
    if (rules_markdown(f, o->cfg, err, errlen))
        return -1;
    fprintf(f, "<!-- end of generated reference -->\n");
    return 0;
}

/* Writes `path` ("-" = stdout) with `fn`, atomically: a temporary file in the same directory,
 * renamed over the target only when everything was written. Returns an exit code. */
static int write_file(const char *path, writer_fn fn, const struct dash_opts *o, const cJSON *dash)
{
    char err[256] = "";
    if (strcmp(path, "-") == 0) {
        if (fn(stdout, o, dash, err, sizeof err))
            return cli_fail(BRRT_EXIT_FAILURE, "%s", err);
        if (fflush(stdout) != 0 || ferror(stdout))
            return cli_fail(BRRT_EXIT_FAILURE, "writing to stdout: %s", strerror(errno));
        return BRRT_EXIT_OK;
    }
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return cli_fail(BRRT_EXIT_USAGE, "path too long: %s", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return cli_fail(BRRT_EXIT_FAILURE, "cannot create %s: %s", tmp, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return cli_fail(BRRT_EXIT_FAILURE, "cannot open %s: %s", tmp, strerror(errno));
    }
    int rc = fn(f, o, dash, err, sizeof err);
    int werr = ferror(f) ? errno : 0;
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0 && !werr)
        werr = errno;
    if (fclose(f) != 0 && !werr)
        werr = errno;
    if (rc || werr) {
        unlink(tmp);
        if (rc)
            return cli_fail(BRRT_EXIT_FAILURE, "%s", err);
        return cli_fail(BRRT_EXIT_FAILURE, "writing %s: %s", path, strerror(werr));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_fail(BRRT_EXIT_FAILURE, "cannot replace %s: %s", path, strerror(e));
    }
    return BRRT_EXIT_OK;
}

/* RFC 1123 label, as Kubernetes namespaces are. */
static bool valid_namespace(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

/* A folder name Grafana and a file system both take: not empty, no '/', no control bytes. */
static bool valid_folder(const char *s)
{
    if (!*s || strlen(s) > 190 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/')
            return false;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"namespace", required_argument, NULL, 'n'}, {"folder", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},    {"rules", required_argument, NULL, 'r'},
        {"prometheus-rule", required_argument, NULL, 'p'}, {"json", required_argument, NULL, 'j'},
        {"markdown", required_argument, NULL, 'm'},  {"dir", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},    {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},            {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    static struct dash_config cfg;
    dash_config_defaults(&cfg);
    struct dash_opts o = {.ns = "monitoring", .folder = "BRRTRouter", .cfg = &cfg};
    const char *sets[64], *config = NULL;
    int n_sets = 0;
    const char *out = NULL, *rules = NULL, *promrule = NULL, *json = NULL, *md = NULL, *dir = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:f:o:r:p:j:m:d:c:s:h", lo, NULL)) != -1) {
        switch (c) {
        case 'n': o.ns = optarg; break;
        case 'f': o.folder = optarg; break;
        case 'o': out = optarg; break;
        case 'r': rules = optarg; break;
        case 'p': promrule = optarg; break;
        case 'j': json = optarg; break;
        case 'm': md = optarg; break;
        case 'd': dir = optarg; break;
        case 'c': config = optarg; break;
        case 's':
            if (n_sets == (int)(sizeof sets / sizeof sets[0]))
                return cli_fail(BRRT_EXIT_USAGE, "dashboard: too many --set");
            sets[n_sets++] = optarg;
            break;
        case 'h': usage(stdout); return BRRT_EXIT_OK;
        case 'V': return cli_version("brrt-stat-dashboard");
        default: return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    if (!valid_namespace(o.ns))
        return cli_fail(BRRT_EXIT_USAGE, "dashboard: \"%s\" is not a Kubernetes namespace name "
                        "(lower-case letters, digits and '-', at most 63)", o.ns);
    if (!valid_folder(o.folder))
        return cli_fail(BRRT_EXIT_USAGE, "dashboard: \"%s\" is not a usable folder name "
                        "(not empty, no '/' or control characters)", o.folder);
    if (!out && !rules && !promrule && !json && !md && !dir)
        out = "-";
    int to_stdout = (out && !strcmp(out, "-")) + (rules && !strcmp(rules, "-")) +
                    (promrule && !strcmp(promrule, "-")) + (json && !strcmp(json, "-")) +
                    (md && !strcmp(md, "-"));
    if (to_stdout > 1)
        return cli_fail(BRRT_EXIT_USAGE, "dashboard: only one output can go to stdout (\"-\")");
    if (dir) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return cli_fail(BRRT_EXIT_USAGE, "dashboard: --dir %s is not a directory", dir);
    }

    char err[256] = "";
    if (config && dash_config_load(&cfg, config, err, sizeof err))
        return cli_fail(BRRT_EXIT_USAGE, "dashboard: --config %s", err);
    for (int i = 0; i < n_sets; i++)
        if (dash_config_assign(&cfg, sets[i], err, sizeof err))
            return cli_fail(BRRT_EXIT_USAGE, "dashboard: --set %s", err);
    cJSON *dash = dash_build(&cfg, err, sizeof err);
    if (!dash)
        return cli_fail(BRRT_EXIT_FAILURE, "dashboard: %s", err);
    struct {
        const char *path;
        writer_fn fn;
    } jobs[10];
    int n = 0;
    char paths[4][PATH_MAX];
    if (dir) {
        static const char *const names[4] = {FILE_CONFIGMAP, FILE_RULES, FILE_PROMRULE, FILE_KUSTOMIZATION};
        static const writer_fn fns[4] = {w_configmap, w_rules, w_promrule, w_kustomization};
        for (int i = 0; i < 4; i++) {
            if (snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]) >= (int)sizeof paths[i]) {
                cJSON_Delete(dash);
                return cli_fail(BRRT_EXIT_USAGE, "dashboard: --dir path too long");
            }
            jobs[n].path = paths[i];
            jobs[n++].fn = fns[i];
        }
    }
    if (out)
        jobs[n].path = out, jobs[n++].fn = w_configmap;
    if (rules)
        jobs[n].path = rules, jobs[n++].fn = w_rules;
    if (promrule)
        jobs[n].path = promrule, jobs[n++].fn = w_promrule;
    if (json)
        jobs[n].path = json, jobs[n++].fn = w_json;
    if (md)
        jobs[n].path = md, jobs[n++].fn = w_markdown;
    int rc = BRRT_EXIT_OK;
    for (int i = 0; i < n && rc == BRRT_EXIT_OK; i++)
        rc = write_file(jobs[i].path, jobs[i].fn, &o, dash);
    cJSON_Delete(dash);
    return rc;
}
