/* The little YAML the generator writes: comments, double-quoted scalars, literal blocks; and
 * the dashboard JSON text that goes into the ConfigMap's literal block. */
#include "dash.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void yaml_comment(FILE *f, const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "#%s%.*s\n", n ? " " : "", (int)n, p);
        p += n + (nl != NULL);
    }
}

void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void yaml_block(FILE *f, int indent, const char *s)
{
    fputs("|-\n", f);
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n)
            fprintf(f, "%*s%.*s\n", indent, "", (int)n, p);
        else
            fputc('\n', f);
        p += n + (nl != NULL);
    }
}

char *dash_json_text(const cJSON *dash)
{
    /* cJSON indents with tabs and puts a tab after ':'; strings escape their tabs, so every raw
     * tab is layout: two spaces per indentation level, one space after a colon. */
    char *raw = cJSON_Print(dash);
    if (!raw)
        return NULL;
    size_t tabs = 0;
    for (const char *p = raw; *p; p++)
        tabs += *p == '\t';
    char *out = malloc(strlen(raw) + tabs + 2);
    if (!out) {
        free(raw);
        return NULL;
    }
    char *o = out;
    bool line_start = true;
    for (const char *p = raw; *p; p++) {
        if (*p == '\t') {
            if (line_start) {
                *o++ = ' ';
                *o++ = ' ';
            } else {
                *o++ = ' ';
            }
            continue;
        }
        line_start = *p == '\n';
        *o++ = *p;
    }
    *o++ = '\n';
    *o = '\0';
    free(raw);
    return out;
}
