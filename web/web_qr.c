/*
 * web_qr.c: web_qr.h's SVG: one path of unit squares, one "M x y h1 v1 h-1 z" per dark
 * module, scaled by the viewBox so the page sizes it. TEXT is never written into the SVG.
 */
#include "web/web_qr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#define WEB_QR_QUIET 4

int web_qr_svg(const char *text, char **svg, size_t *len)
{
    if (text == NULL || text[0] == '\0')
        return -EINVAL;
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (qr == NULL)
        return errno == ENOMEM ? -ENOMEM : -EINVAL;
    int w = qr->width, side = w + 2 * WEB_QR_QUIET;
    size_t cap = 512 + (size_t)w * (size_t)w * 28;
    char *out = malloc(cap);
    if (out == NULL) {
        QRcode_free(qr);
        return -ENOMEM;
    }
    size_t n = (size_t)snprintf(out, cap,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                                side, side, side, side);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(out + n, cap - n, "M%d %dh1v1h-1z", x + WEB_QR_QUIET,
                                      y + WEB_QR_QUIET);
    n += (size_t)snprintf(out + n, cap - n, "\"/></svg>\n");
    QRcode_free(qr);
    *svg = out;
    *len = n;
    return 0;
}
