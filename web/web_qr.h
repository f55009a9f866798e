/*
 * web_qr.h: a QR code as SVG (libqrencode), for the employee's sms: and tel: links: the
 * friend scans it and the phone opens its SMS app or dialer with the code filled in.
 */
#ifndef ERM_WEB_QR_H
#define ERM_WEB_QR_H

#include <stddef.h>

/* The SVG of the QR code of TEXT (medium error correction, 4-module quiet zone), malloc'd
 * into *SVG (*LEN bytes, the caller's to free). 0, -EINVAL or -ENOMEM. */
int web_qr_svg(const char *text, char **svg, size_t *len);

#endif
