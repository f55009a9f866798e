/*
 * sip_probe.c: the SIP trunk (gateway/sip_trunk.h) alone on a loop, for tests: each call's
 * outcome comes from the command line instead of the order path, and every event is printed
 * on stdout, one line each, for tests/integration/test_sip_trunk.py to wait on:
 *   ready PORT | call ID CALLER CALLED | answer ID PROMPT RC | reject ID CODE RC |
 *   end ID REASON | draining | stopped
 * Usage: sip_probe --listen 127.0.0.1:5070 --peers 127.0.0.1 --prompts DIR
 *          [--rtp-ports 30000-30099] [--max-calls N] [--strip-prefix +86,86]
 *          [--decide-ms N] [--t1-ms N] [--pad-ms N] [--retry-after S]
 *          [--answer CODE=PROMPT]... [--reject CODE=STATUS[:RETRY_AFTER]]... [--hold CODE]...
 *          [--delay-ms N]
 * A code in no list is answered with the "unknown" prompt. --hold leaves the call undecided
 * (for CANCEL and the decide bound); --delay-ms decides every call that long after on_call.
 * SIGUSR1 drains the trunk; SIGTERM or SIGINT stops it and exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "gateway/prompt_set.h"
#include "gateway/sip_trunk.h"

#define PROBE_RULES_MAX 64

struct probe_rule {
    char code[33];
    char what; /* 'a' answer, 'r' reject, 'h' hold */
    char prompt[16];
    int status;
    unsigned retry_after_s;
};

struct probe_pending {
    struct probe_pending *next;
    uint64_t call;
    char called[33];
    uv_timer_t timer;
    struct probe *p;
};

struct probe {
    uv_loop_t *loop;
    struct sip_trunk *trunk;
    struct prompt_set *prompts;
    struct probe_rule rules[PROBE_RULES_MAX];
    size_t nrules;
    unsigned delay_ms;
    uv_signal_t sigterm, sigint, sigusr1;
};

static void probe_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void probe_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const struct probe_rule *probe_rule_for(const struct probe *p, const char *called)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (strcmp(p->rules[i].code, called) == 0)
            return &p->rules[i];
    return NULL;
}

static void probe_decide(struct probe *p, uint64_t call, const char *called)
{
    const struct probe_rule *r = probe_rule_for(p, called);
    if (r != NULL && r->what == 'h')
        return;
    if (r != NULL && r->what == 'r') {
        int rc = sip_trunk_reject(p->trunk, call, r->status, r->retry_after_s);
        probe_say("reject %llu %d %d", (unsigned long long)call, r->status, rc);
        return;
    }
    const char *name = r != NULL ? r->prompt : "unknown";
    enum prompt_kind kind = PROMPT_UNKNOWN;
    prompt_kind_find(name, &kind);
    int rc = sip_trunk_answer(p->trunk, call, prompt_set_get(p->prompts, called, kind));
    probe_say("answer %llu %s %d", (unsigned long long)call, name, rc);
}

static void probe_pending_closed(uv_handle_t *h)
{
    free(h->data);
}

static void probe_on_delay(uv_timer_t *h)
{
    struct probe_pending *d = h->data;
    probe_decide(d->p, d->call, d->called);
    uv_close((uv_handle_t *)h, probe_pending_closed);
}

static void probe_on_call(void *ud, uint64_t call, const char *caller, const char *called,
                          const char *call_id)
{
    struct probe *p = ud;
    (void)call_id;
    probe_say("call %llu %s %s", (unsigned long long)call, caller[0] ? caller : "-", called);
    if (p->delay_ms == 0) {
        probe_decide(p, call, called);
        return;
    }
    struct probe_pending *d = calloc(1, sizeof *d);
    if (d == NULL)
        return;
    d->p = p;
    d->call = call;
    snprintf(d->called, sizeof d->called, "%s", called);
    uv_timer_init(p->loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, probe_on_delay, p->delay_ms, 0);
}

static void probe_on_call_end(void *ud, uint64_t call, enum sip_call_end why)
{
    (void)ud;
    probe_say("end %llu %s", (unsigned long long)call, sip_call_end_name(why));
}

static void probe_on_stopped(void *ud)
{
    struct probe *p = ud;
    p->trunk = NULL;
    probe_say("stopped");
    uv_close((uv_handle_t *)&p->sigterm, NULL);
    uv_close((uv_handle_t *)&p->sigint, NULL);
    uv_close((uv_handle_t *)&p->sigusr1, NULL);
}

static void probe_on_signal(uv_signal_t *h, int signum)
{
    struct probe *p = h->data;
    if (p->trunk == NULL)
        return;
    if (signum == SIGUSR1) {
        sip_trunk_drain(p->trunk);
        probe_say("draining");
        return;
    }
    sip_trunk_stop(p->trunk);
}

/* Reads "CODE=VALUE" into R. */
static int probe_add_rule(struct probe *p, char what, const char *arg)
{
    if (p->nrules == PROBE_RULES_MAX)
        return -E2BIG;
    struct probe_rule *r = &p->rules[p->nrules];
    memset(r, 0, sizeof *r);
    r->what = what;
    const char *eq = strchr(arg, '=');
    size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    if (n == 0 || n >= sizeof r->code || (what != 'h' && eq == NULL))
        return -EINVAL;
    memcpy(r->code, arg, n);
    if (what == 'a') {
        enum prompt_kind k;
        if (prompt_kind_find(eq + 1, &k) < 0)
            return -EINVAL;
        snprintf(r->prompt, sizeof r->prompt, "%s", eq + 1);
    } else if (what == 'r') {
        char *end;
        r->status = (int)strtol(eq + 1, &end, 10);
        if (*end == ':')
            r->retry_after_s = (unsigned)strtoul(end + 1, &end, 10);
        if (*end != '\0')
            return -EINVAL;
    }
    p->nrules++;
    return 0;
}

static void probe_usage(void)
{
    fprintf(stderr, "usage: sip_probe --listen ADDR:PORT --peers LIST --prompts DIR [options]"
                    " (see the head of tests/sip_probe.c)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct probe p;
    struct sip_trunk_cfg cfg = {.rtp_ports = "30000-30099", .strip_prefix = ""};
    const char *prompts = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            probe_usage();
        i++;
        int rc = 0;
        if (strcmp(o, "--listen") == 0)
            cfg.listen = v;
        else if (strcmp(o, "--peers") == 0)
            cfg.peers = v;
        else if (strcmp(o, "--rtp-ports") == 0)
            cfg.rtp_ports = v;
        else if (strcmp(o, "--prompts") == 0)
            prompts = v;
        else if (strcmp(o, "--max-calls") == 0)
            cfg.max_calls = (unsigned)atoi(v);
        else if (strcmp(o, "--strip-prefix") == 0)
            cfg.strip_prefix = v;
        else if (strcmp(o, "--decide-ms") == 0)
            cfg.decide_ms = (unsigned)atoi(v);
        else if (strcmp(o, "--t1-ms") == 0)
            cfg.t1_ms = (unsigned)atoi(v);
        else if (strcmp(o, "--pad-ms") == 0)
            cfg.hangup_pad_ms = (unsigned)atoi(v);
        else if (strcmp(o, "--retry-after") == 0)
            cfg.retry_after_s = (unsigned)atoi(v);
        else if (strcmp(o, "--delay-ms") == 0)
            p.delay_ms = (unsigned)atoi(v);
        else if (strcmp(o, "--answer") == 0)
            rc = probe_add_rule(&p, 'a', v);
        else if (strcmp(o, "--reject") == 0)
            rc = probe_add_rule(&p, 'r', v);
        else if (strcmp(o, "--hold") == 0)
            rc = probe_add_rule(&p, 'h', v);
        else
            probe_usage();
        if (rc < 0) {
            fprintf(stderr, "sip_probe: bad %s %s\n", o, v);
            return 2;
        }
    }
    if (cfg.listen == NULL || cfg.peers == NULL || prompts == NULL)
        probe_usage();
    const char *level = getenv("ERM_LOG_LEVEL");
    if (level != NULL && strcmp(level, "debug") == 0)
        erm_log_set_level(ERM_LOG_DEBUG);
    char err[512];
    if (prompt_set_load(prompts, &p.prompts, err, sizeof err) < 0) {
        fprintf(stderr, "sip_probe: %s\n", err);
        return 1;
    }
    p.loop = uv_default_loop();
    struct sip_trunk_events ev = {probe_on_call, probe_on_call_end, probe_on_stopped};
    if (sip_trunk_start(p.loop, &cfg, &ev, &p, &p.trunk, err, sizeof err) < 0) {
        fprintf(stderr, "sip_probe: %s\n", err);
        prompt_set_free(p.prompts);
        return 1;
    }
    uv_signal_t *sigs[] = {&p.sigterm, &p.sigint, &p.sigusr1};
    int nums[] = {SIGTERM, SIGINT, SIGUSR1};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(p.loop, sigs[i]);
        sigs[i]->data = &p;
        uv_signal_start(sigs[i], probe_on_signal, nums[i]);
    }
    probe_say("ready %s", cfg.listen);
    uv_run(p.loop, UV_RUN_DEFAULT);
    uv_loop_close(p.loop);
    prompt_set_free(p.prompts);
    return 0;
}
