/*
 * prompt_set.h: the phone prompts, one per outcome of a call, loaded at start-up from the
 * [sip] prompts folder (NAME.wav, and PRODUCT/NAME.wav for a product's own) into memory in
 * both G.711 laws, padded with silence to whole 20 ms frames. WAV files must be 8 kHz mono,
 * 16-bit PCM, A-law or mu-law. A missing or unreadable default prompt fails the load.
 */
#ifndef ERM_PROMPT_SET_H
#define ERM_PROMPT_SET_H

#include <stddef.h>

#include "gateway/rtp_stream.h"

enum prompt_kind {
    PROMPT_ORDERED = 0, /* ordered.wav: the order is placed */
    PROMPT_ALREADY,     /* already.wav: this caller has ordered this product before */
    PROMPT_UNKNOWN,     /* unknown.wav: no such code */
    PROMPT_CLOSED,      /* closed.wav: the product is not open, or its campaign is over */
    PROMPT_LEAVER,      /* leaver.wav: the code's holder has left; it is no longer valid */
    PROMPT_HELP,        /* help.wav: what the service is, how to order */
    PROMPT_KINDS
};

struct prompt_set;

/* The file name (without ".wav") of KIND, or NULL for a bad KIND. */
const char *prompt_kind_name(enum prompt_kind kind);

/* Finds the kind named NAME ("ordered", ...). Returns 0 and sets *KIND, or -ENOENT. */
int prompt_kind_find(const char *name, enum prompt_kind *kind);

/* Loads DIR/NAME.wav for every kind (all required), DIR being NULL or "" for the installed
 * folder (share/ermgw/prompts under the install prefix), and DIR/P/NAME.wav for every folder P
 * whose name is a product code (digits) and every such file in it (optional). The caller
 * owns *OUT and frees it with prompt_set_free(). On error writes "FILE: why" into ERR and
 * returns a negative errno. */
int prompt_set_load(const char *dir, struct prompt_set **out, char *err, size_t errlen);

/* The prompt of KIND for PRODUCT (a product code, or NULL or "" for none): the product's
 * own when it has one, else the default. Owned by SET: valid until prompt_set_free(). */
const struct rtp_audio *prompt_set_get(const struct prompt_set *set, const char *product,
                                       enum prompt_kind kind);

/* Prompts loaded (defaults and products' own), for the start-up log. */
size_t prompt_set_count(const struct prompt_set *set);

void prompt_set_free(struct prompt_set *set);

#endif
