/*
 * Generated bunny avatars: a 256x256 SVG drawn from parts that the
 * SHA-256 digest of an identifier selects.
 */
#ifndef BUNNYBOOK_AVATAR_H
#define BUNNYBOOK_AVATAR_H

#include <stddef.h>

#include "util.h"

/*
 * Append the SVG document for identifier (len bytes, any bytes, 1-64 in
 * practice) to out.
 *
 * The output depends only on the identifier bytes, so the same identifier
 * gives byte-identical SVG in every process and build.  The identifier
 * itself never appears in the output: the document contains only fixed
 * markup, integers and colours from the module's tables, so it is safe to
 * serve as image/svg+xml or to inline.  identifier may be NULL when len is 0.
 * The document contains no id attributes, so several avatars can be inlined
 * in one HTML page.  Allocation failure aborts (see util.h).
 */
void avatar_render_svg(const char *identifier, size_t len, struct buf *out);

/*
 * Number of distinct part combinations the generator can produce.
 *
 * Every combination gives different SVG bytes, but a few differ little on
 * screen: sunglasses almost hide the eye style behind them.
 */
unsigned long long avatar_combinations(void);

#endif
