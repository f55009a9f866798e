/*
 * g711.c: G.711 A-law and mu-law (see g711.h), after the reference algorithm of ITU-T
 * G.191's g711.c (segment search on the magnitude, then the 4-bit mantissa).
 */
#include "core/g711.h"

/* The segment (0..7) of a magnitude: the position of its highest bit above the mantissa. */
static int g711_segment(int mag, int first_top)
{
    int seg = 0, top = first_top;
    while (seg < 8 && mag > top) {
        seg++;
        top = top * 2 + 1;
    }
    return seg;
}

uint8_t g711_alaw_encode(int16_t pcm)
{
    int v = pcm >> 3; /* A-law works on 13 bits */
    int mask = 0xD5;  /* sign bit set for positive, even bits inverted */
    if (v < 0) {
        mask = 0x55;
        v = -v - 1;
    }
    int seg = g711_segment(v, 0x1F);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int aval = seg << 4;
    aval |= seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
    return (uint8_t)(aval ^ mask);
}

int16_t g711_alaw_decode(uint8_t a)
{
    int v = a ^ 0x55;
    int t = (v & 0x0F) << 4;
    int seg = (v & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((v & 0x80) ? t : -t);
}

#define G711_ULAW_BIAS 0x84
#define G711_ULAW_CLIP 8159

uint8_t g711_ulaw_encode(int16_t pcm)
{
    int v = pcm >> 2; /* mu-law works on 14 bits */
    int mask = 0xFF;
    if (v < 0) {
        v = -v;
        mask = 0x7F;
    }
    if (v > G711_ULAW_CLIP)
        v = G711_ULAW_CLIP;
    v += G711_ULAW_BIAS >> 2;
    int seg = g711_segment(v, 0x3F);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int uval = (seg << 4) | ((v >> (seg + 1)) & 0x0F);
    return (uint8_t)(uval ^ mask);
}

int16_t g711_ulaw_decode(uint8_t u)
{
    int v = ~u & 0xFF;
    int t = ((v & 0x0F) << 3) + G711_ULAW_BIAS;
    t <<= (v & 0x70) >> 4;
    return (int16_t)((v & 0x80) ? (G711_ULAW_BIAS - t) : (t - G711_ULAW_BIAS));
}
