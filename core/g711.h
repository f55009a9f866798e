/*
 * g711.h: ITU-T G.711 A-law and mu-law, encoding 16-bit linear PCM and decoding back, for
 * the phone prompts (RTP payload types 8, PCMA, and 0, PCMU). Pure.
 */
#ifndef ERM_G711_H
#define ERM_G711_H

#include <stdint.h>

uint8_t g711_alaw_encode(int16_t pcm);
uint8_t g711_ulaw_encode(int16_t pcm);
int16_t g711_alaw_decode(uint8_t a);
int16_t g711_ulaw_decode(uint8_t u);

/* The code of silence in each law (the encoding of 0). */
#define G711_ALAW_SILENCE 0xD5
#define G711_ULAW_SILENCE 0xFF

#endif
