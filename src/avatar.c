/*
 * Generated bunny avatars.  The SHA-256 digest of an identifier is read as
 * one 256-bit number and divided, part by part, by the number of variants
 * of that part, and each remainder selects a variant.  The parts are drawn
 * in layers, back to front, as flat shapes with a dark outline in a
 * 256x256 SVG.
 *
 * The output is a pure function of the identifier bytes.  Nothing depends
 * on randomness, the clock, the locale or addresses, and every computed
 * number is printed with %d.  Only fixed markup and colours from the tables
 * below reach the output.
 *
 * This file only draws.  Choosing the identifier (user id, handle), the
 * HTTP headers and any caching are left to the caller.
 */
#include "avatar.h"

#include <assert.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <string.h>

/* Canvas coordinates (y grows downwards) of the head centre and the face. */
#define HEAD_CY     146
#define EYE_Y       140
#define EYE_LEFT_X  104
#define EYE_RIGHT_X 152
#define NOSE_Y      158

/* Reflects its content about the vertical centre line x = 128. */
#define MIRROR_OPEN "<g transform=\"matrix(-1 0 0 1 256 0)\">"

#define SVG_OPEN                                                               \
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 256 256\""    \
	" width=\"256\" height=\"256\">"                                       \
	"<g stroke-linecap=\"round\" stroke-linejoin=\"round\">"
#define SVG_CLOSE "</g></svg>"

struct fur {
	const char *fill;
	const char *shade;    /* darker tone for patches */
	const char *light;    /* lighter tone for muzzle and belly */
	const char *line;     /* outline */
	const char *eye_halo; /* rim for dark fur, or NULL */
};

struct backdrop {
	const char *base;
	const char *accent; /* pattern drawn over base */
};

/* One choice per part, resolved to table entries. */
struct avatar {
	const struct backdrop *backdrop;
	unsigned pattern;
	const struct fur *fur;
	const char *inner_ear;
	unsigned body;
	unsigned head;
	unsigned ears;
	unsigned marking;
	unsigned eyes;
	const char *eye_colour;
	unsigned nose;
	const char *nose_colour;
	unsigned mouth;
	unsigned whiskers;

	/* For these parts, 0 is "none" and then the colour is NULL. */
	unsigned cheeks;
	const char *cheek_colour;
	unsigned hat;
	const char *hat_colour;
	unsigned accessory;
	const char *accessory_colour;
	unsigned glasses;
	const char *glasses_colour;
};

typedef void draw_fn(struct buf *, const struct avatar *);

/*
 * The digest as a big-endian 256-bit number that pick() divides down, and
 * the number of distinct combinations of the parts picked so far.
 */
struct picker {
	unsigned char number[SHA256_DIGEST_LENGTH];
	unsigned long long combinations;
};

/*
 * Palettes
 */

static const struct backdrop backdrops[] = {
    {"#cdeedd", "#b3e2c9"}, /* mint */
    {"#cfe6fb", "#b4d5f4"}, /* sky */
    {"#e3d9f7", "#d0c2ef"}, /* lavender */
    {"#ffe0cc", "#fbcdb0"}, /* peach */
    {"#fff1c2", "#fbe29b"}, /* butter */
    {"#fddbe3", "#f8c2cf"}, /* rose */
    {"#dfe8d0", "#cbdab6"}, /* sage */
    {"#c9f0ef", "#ace2e0"}, /* aqua */
    {"#f3e6d3", "#e7d2b5"}, /* sand */
    {"#d6dcfa", "#bec7f3"}, /* periwinkle */
    {"#ffd6cc", "#fbbdae"}, /* coral */
    {"#e8e4f0", "#d6d0e3"}, /* mist */
};

/* Chocolate and charcoal get an eye halo because dark eyes vanish on them. */
static const struct fur furs[] = {
    /* snow, cream, caramel, cocoa */
    {"#fbf8f4", "#e6ddd3", "#ffffff", "#5a4a45", NULL},
    {"#f6e7cf", "#e3cba6", "#fff6e8", "#6b5440", NULL},
    {"#e0ac74", "#c48a52", "#f6dcc0", "#5c3d24", NULL},
    {"#a9765a", "#8a5a40", "#e4c7b2", "#3f2a1f", NULL},
    /* chocolate, silver, charcoal */
    {"#7a5240", "#5f3d2f", "#d9b9a3", "#2e1e17", "#d9b9a3"},
    {"#cfcfd6", "#adadb8", "#f0f0f4", "#45454f", NULL},
    {"#62646f", "#4b4d58", "#c0c2cc", "#25262d", "#c0c2cc"},
    /* golden, ginger, blush, lilac */
    {"#f2c46d", "#dba64a", "#fbe7bd", "#6a4a1c", NULL},
    {"#eb9a62", "#d07c44", "#fad3b5", "#5e3218", NULL},
    {"#f7c6d0", "#eaa7b6", "#fde6eb", "#6d3d4a", NULL},
    {"#cfbde9", "#b39ed8", "#ece4f8", "#4b3b66", NULL},
    /* mint, sky, peach */
    {"#bfe6d2", "#9dd2b8", "#e5f6ed", "#2f5a47", NULL},
    {"#b9d8f2", "#95bfe4", "#e3f0fb", "#2e4b66", NULL},
    {"#fbcfb0", "#f0b28b", "#fee9da", "#6a4030", NULL},
};

static const char *const inner_ear_colours[] = {
    "#f7a8b8", "#f9c0cc", "#f28fa5", "#fbc4a8", "#d9b3e6", "#f4978e",
};

static const char *const eye_colours[] = {
    "#2b2230", "#4a2c20", "#1f3557", "#3c2552", "#1f4a3a",
};

static const char *const nose_colours[] = {
    "#e8748a",
    "#d45d79",
    "#6b3a3a",
    "#f08a7a",
};

static const char *const cheek_colours[] = {
    "#ff8fa8",
    "#ffa07f",
    "#f07aa6",
};

/* Hats, accessories and glasses frames share one set of bright colours. */
static const char *const trim_colours[] = {
    "#e5484d", "#ff7a45", "#f5b83d", "#3fb07f", "#1fa2b3",
    "#4c7bd9", "#8e5bd6", "#ef6fa8", "#3a3745",
};

static const char *const frame_colours[] = {
    "#2b2230", "#7b4a2a", "#c99a2e", "#c93c4b", "#3b6fd1",
};

/*
 * Picking variants
 */

/*
 * Divide the remaining number by n and return the remainder.  The product
 * of all divisors of one avatar (about 2^58) is far below 2^256, so the
 * remainders are uniform and independent to within 2^-190.
 */
static unsigned
divide(struct picker *p, unsigned n)
{
	unsigned remainder = 0, value;
	size_t i;

	assert(n > 0);
	assert(n < (1U << 16)); /* keeps value below 2^24 */
	for (i = 0; i < sizeof(p->number); i++) {
		value = remainder << 8 | p->number[i];
		p->number[i] = (unsigned char)(value / n);
		remainder = value % n;
	}
	return remainder;
}

static void
count_combinations(struct picker *p, unsigned long long n)
{
	assert(p->combinations <= ULLONG_MAX / n);
	p->combinations *= n;
}

/* Pick one of n equally likely variants. */
static unsigned
pick(struct picker *p, unsigned n)
{
	count_combinations(p, n);
	return divide(p, n);
}

/*
 * Pick a style of an optional part, where style 0 is "none" and takes no
 * colour, and every other style takes one of ncolours colours.  "None"
 * weighs as much as none_weight coloured variants together, so that not
 * every avatar wears everything.
 */
static unsigned
pick_optional(struct picker *p, unsigned none_weight, size_t nstyles,
              const char *const *colours, size_t ncolours, const char **colour)
{
	unsigned coloured = (unsigned)((nstyles - 1) * ncolours);
	unsigned variant;

	count_combinations(p, 1 + coloured);
	variant = divide(p, none_weight + coloured);
	if (variant < none_weight) {
		*colour = NULL;
		return 0;
	}
	variant -= none_weight;
	*colour = colours[variant % ncolours];
	return 1 + variant / (unsigned)ncolours;
}

/*
 * Small drawing helpers
 */

/* Draw draw() once as is and once reflected to the right half. */
static void
draw_mirrored(struct buf *out, const struct avatar *a, draw_fn *draw)
{
	draw(out, a);
	buf_adds(out, MIRROR_OPEN);
	draw(out, a);
	buf_adds(out, "</g>");
}

/* A heart about 14 wide and 13 high, centred on the origin. */
#define HEART_PATH "M0 7C-9 1-8-6-4-6C-2-6 0-4 0-3C0-4 2-6 4-6C8-6 9 1 0 7Z"

/* A four-pointed sparkle of radius r centred on (x, y). */
static void
add_sparkle(struct buf *out, int x, int y, int r)
{
	buf_addf(out,
	         "<path d=\"M%d %dQ%d %d %d %dQ%d %d %d %d"
	         "Q%d %d %d %dQ%d %d %d %dZ\"/>",
	         x, y - r, x, y, x + r, y, x, y, x, y + r, x, y, x - r, y, x, y,
	         x, y - r);
}

/*
 * Background
 */

static void
pattern_dots(struct buf *out, const struct avatar *a)
{
	int x, y, row;

	buf_addf(out, "<g fill=\"%s\">", a->backdrop->accent);
	for (y = 16, row = 0; y < 256; y += 32, row++) {
		for (x = row % 2 ? 32 : 16; x < 256; x += 32)
			buf_addf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"5\"/>",
			         x, y);
	}
	buf_adds(out, "</g>");
}

static void
pattern_stripes(struct buf *out, const struct avatar *a)
{
	int x;

	buf_addf(out, "<path stroke=\"%s\" stroke-width=\"12\" d=\"",
	         a->backdrop->accent);
	for (x = -256; x < 256; x += 36)
		buf_addf(out, "M%d 256L%d 0", x, x + 256);
	buf_adds(out, "\"/>");
}

static void
pattern_rings(struct buf *out, const struct avatar *a)
{
	int r;

	buf_addf(out, "<g fill=\"none\" stroke=\"%s\" stroke-width=\"12\">",
	         a->backdrop->accent);
	for (r = 88; r < 200; r += 30)
		buf_addf(out, "<circle cx=\"128\" cy=\"%d\" r=\"%d\"/>",
		         HEAD_CY, r);
	buf_adds(out, "</g>");
}

static void
pattern_hills(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path fill=\"%s\" d=\"M0 150Q60 118 130 160"
	         "T256 150V256H0Z\"/>",
	         a->backdrop->accent);
	buf_adds(out, "<circle cx=\"214\" cy=\"44\" r=\"18\" fill=\"#ffffff\""
	              " fill-opacity=\"0.7\"/>");
}

static void
pattern_sparkles(struct buf *out, const struct avatar *a)
{
	static const int spots[][3] = {
	    {32, 36, 12},  {220, 30, 9},   {232, 96, 7}, {22, 112, 7},
	    {30, 214, 10}, {226, 206, 12}, {78, 18, 5},  {180, 16, 5},
	};
	size_t i;

	(void)a;
	buf_adds(out, "<g fill=\"#ffffff\" fill-opacity=\"0.85\">");
	for (i = 0; i < ARRAY_LEN(spots); i++)
		add_sparkle(out, spots[i][0], spots[i][1], spots[i][2]);
	buf_adds(out, "</g>");
}

static void
pattern_checks(struct buf *out, const struct avatar *a)
{
	int x, y;

	buf_addf(out, "<path fill=\"%s\" d=\"", a->backdrop->accent);
	for (y = 0; y < 256; y += 32) {
		for (x = y % 64 ? 32 : 0; x < 256; x += 64)
			buf_addf(out, "M%d %dh32v32h-32Z", x, y);
	}
	buf_adds(out, "\"/>");
}

static void
pattern_hearts(struct buf *out, const struct avatar *a)
{
	static const int spots[][2] = {
	    {30, 34},  {224, 40},  {20, 120}, {238, 118},
	    {34, 214}, {222, 216}, {126, 16},
	};
	size_t i;

	buf_addf(out, "<g fill=\"%s\">", a->backdrop->accent);
	for (i = 0; i < ARRAY_LEN(spots); i++)
		buf_addf(out,
		         "<path transform=\"translate(%d %d) scale(2)\""
		         " d=\"" HEART_PATH "\"/>",
		         spots[i][0], spots[i][1]);
	buf_adds(out, "</g>");
}

/* Index 0 is a plain background. */
static draw_fn *const patterns[] = {
    NULL,          pattern_dots,     pattern_stripes, pattern_rings,
    pattern_hills, pattern_sparkles, pattern_checks,  pattern_hearts,
};

static void
draw_background(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<rect width=\"256\" height=\"256\" fill=\"%s\"/>",
	         a->backdrop->base);
	if (patterns[a->pattern] != NULL)
		patterns[a->pattern](out, a);
}

/*
 * Body and head
 */

struct body_shape {
	int cy, rx, ry;
	bool belly;
	bool paws;
};

static const struct body_shape body_shapes[] = {
    {266, 62, 64, false, false}, /* slim */
    {264, 76, 62, false, false}, /* plain */
    {268, 86, 66, true, false},  /* round with a belly */
    {264, 76, 62, false, true},  /* paws raised */
    {268, 86, 66, true, true},   /* round, belly and paws */
};

static void
draw_paw(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<ellipse cx=\"102\" cy=\"238\" rx=\"17\" ry=\"14\""
	         " fill=\"%s\" stroke=\"%s\" stroke-width=\"4\"/>",
	         a->fur->fill, a->fur->line);
	buf_addf(out,
	         "<path d=\"M96 225V231M102 224V230M108 225V231\""
	         " stroke=\"%s\" stroke-width=\"2.5\"/>",
	         a->fur->line);
	buf_addf(out,
	         "<ellipse cx=\"102\" cy=\"242\" rx=\"6\" ry=\"4\""
	         " fill=\"%s\"/>",
	         a->inner_ear);
}

static void
draw_body(struct buf *out, const struct avatar *a)
{
	const struct body_shape *b = &body_shapes[a->body];

	buf_addf(out,
	         "<ellipse cx=\"128\" cy=\"%d\" rx=\"%d\" ry=\"%d\""
	         " fill=\"%s\" stroke=\"%s\" stroke-width=\"4\"/>",
	         b->cy, b->rx, b->ry, a->fur->fill, a->fur->line);
	if (b->belly)
		buf_addf(out,
		         "<ellipse cx=\"128\" cy=\"258\" rx=\"42\""
		         " ry=\"38\" fill=\"%s\"/>",
		         a->fur->light);
	if (b->paws)
		draw_mirrored(out, a, draw_paw);
}

struct head_shape {
	int rx, ry;
	bool fluff; /* tufts of fur on both cheeks */
};

static const struct head_shape head_shapes[] = {
    {62, 58, false}, /* round */
    {70, 56, false}, /* wide */
    {60, 61, false}, /* tall */
    {62, 57, true},  /* fluffy cheeks */
};

static void
draw_cheek_tuft(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M86 150L62 156L72 164L54 172L70 180"
	         "L60 192L90 194Z\" fill=\"%s\" stroke=\"%s\""
	         " stroke-width=\"4\"/>",
	         a->fur->fill, a->fur->line);
}

/* Draw the head over the cheek tufts, if it has any. */
static void
draw_head(struct buf *out, const struct avatar *a)
{
	const struct head_shape *h = &head_shapes[a->head];

	if (h->fluff)
		draw_mirrored(out, a, draw_cheek_tuft);
	buf_addf(out,
	         "<ellipse cx=\"128\" cy=\"%d\" rx=\"%d\" ry=\"%d\""
	         " fill=\"%s\" stroke=\"%s\" stroke-width=\"4\"/>",
	         HEAD_CY, h->rx, h->ry, a->fur->fill, a->fur->line);
}

/*
 * Ears
 */

/* Base position and direction of a left ear.  Angle 0 points up. */
struct ear_pose {
	int x, y;
	int angle; /* degrees clockwise */
	int length, width;
	bool front; /* drawn over the head, not behind it */
};

enum { EAR_UP, EAR_TALL, EAR_SHORT, EAR_SIDEWAYS, EAR_LOP, EAR_TILTED };

static const struct ear_pose ear_poses[] = {
    [EAR_UP] = {104, 102, -12, 84, 22, false},
    [EAR_TALL] = {108, 102, -4, 100, 20, false},
    [EAR_SHORT] = {100, 104, -20, 58, 24, false},
    [EAR_SIDEWAYS] = {82, 118, -68, 74, 21, false},
    [EAR_LOP] = {92, 100, -150, 80, 21, true},
    [EAR_TILTED] = {106, 100, 14, 86, 21, false},
};

/* Pose of the left ear and of the right ear before reflection. */
static const int ear_styles[][2] = {
    {EAR_UP, EAR_UP},       {EAR_TALL, EAR_TALL},
    {EAR_SHORT, EAR_SHORT}, {EAR_SIDEWAYS, EAR_SIDEWAYS},
    {EAR_LOP, EAR_LOP},     {EAR_UP, EAR_LOP},
    {EAR_LOP, EAR_UP},      {EAR_UP, EAR_TILTED},
};

/* Path data of a leaf-shaped ear with its base on the origin, pointing up. */
static void
add_ear_path(struct buf *out, int length, int width)
{
	buf_addf(out, "M%d 0C%d %d %d %d 0 %dC%d %d %d %d %d 0Z",
	         -width * 6 / 10, -width, -length * 4 / 10, -width,
	         -length * 9 / 10, -length, width, -length * 9 / 10, width,
	         -length * 4 / 10, width * 6 / 10);
}

static void
draw_ear(struct buf *out, const struct avatar *a, const struct ear_pose *e)
{
	buf_addf(out, "<g transform=\"translate(%d %d) rotate(%d)\">", e->x,
	         e->y, e->angle);
	buf_addf(out, "<path fill=\"%s\" stroke=\"%s\" stroke-width=\"4\" d=\"",
	         a->fur->fill, a->fur->line);
	add_ear_path(out, e->length, e->width);
	buf_addf(out,
	         "\"/><path fill=\"%s\" transform=\"translate(0 -8)\" d=\"",
	         a->inner_ear);
	add_ear_path(out, e->length * 3 / 4, e->width * 11 / 20);
	buf_adds(out, "\"/></g>");
}

/* Draw the ears that belong to one layer: behind the head or in front. */
static void
draw_ears(struct buf *out, const struct avatar *a, bool front)
{
	const struct ear_pose *left = &ear_poses[ear_styles[a->ears][0]];
	const struct ear_pose *right = &ear_poses[ear_styles[a->ears][1]];

	if (left->front == front)
		draw_ear(out, a, left);
	if (right->front == front) {
		buf_adds(out, MIRROR_OPEN);
		draw_ear(out, a, right);
		buf_adds(out, "</g>");
	}
}

/*
 * Face
 */

static void
marking_muzzle(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<ellipse cx=\"128\" cy=\"167\" rx=\"27\" ry=\"19\""
	         " fill=\"%s\"/>",
	         a->fur->light);
}

static void
marking_eye_patch(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<ellipse cx=\"101\" cy=\"138\" rx=\"21\" ry=\"18\""
	         " fill=\"%s\" transform=\"rotate(-15 101 138)\"/>",
	         a->fur->shade);
}

static void
marking_blaze(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M128 100Q142 116 128 128Q114 116 128 100Z\""
	         " fill=\"%s\"/>",
	         a->fur->light);
}

static draw_fn *const markings[] = {
    NULL,
    marking_muzzle,
    marking_eye_patch,
    marking_blaze,
};

/*
 * One eye centred on the origin, drawn as a path in the eye colour.  shine
 * is fixed markup for the white highlights, or "".
 */
struct eye_shape {
	const char *path;
	bool filled;
	int stroke_width;
	const char *shine;
};

#define CIRCLE_PATH(r)                                                         \
	"M-" #r " 0A" #r " " #r " 0 1 0 " #r " 0A" #r " " #r " 0 1 0-" #r " 0" \
	"Z"

static const struct eye_shape eye_dot = {
    .path = CIRCLE_PATH(7),
    .filled = true,
    .stroke_width = 1,
    .shine = "<circle cx=\"2\" cy=\"-3\" r=\"2.5\" fill=\"#ffffff\"/>",
};
static const struct eye_shape eye_sparkle = {
    .path = CIRCLE_PATH(10),
    .filled = true,
    .stroke_width = 1,
    .shine = "<circle cx=\"3\" cy=\"-4\" r=\"4\" fill=\"#ffffff\"/>"
             "<circle cx=\"-4\" cy=\"4\" r=\"2\" fill=\"#ffffff\"/>",
};
static const struct eye_shape eye_happy = {
    .path = "M-9 3Q0-10 9 3",
    .filled = false,
    .stroke_width = 4,
    .shine = "",
};
static const struct eye_shape eye_sleepy = {
    .path = "M-9-1A9 9 0 0 0 9-1ZM-11-1H11",
    .filled = true,
    .stroke_width = 3,
    .shine = "<circle cx=\"3\" cy=\"3\" r=\"2\" fill=\"#ffffff\"/>",
};
static const struct eye_shape eye_oval = {
    .path = "M-6 0A6 9 0 1 0 6 0A6 9 0 1 0-6 0Z",
    .filled = true,
    .stroke_width = 1,
    .shine = "<circle cx=\"2\" cy=\"-4\" r=\"2.5\" fill=\"#ffffff\"/>",
};
static const struct eye_shape eye_lashes = {
    .path = "M-6-6L-10-11M0-8V-14M6-6L10-11" CIRCLE_PATH(8),
    .filled = true,
    .stroke_width = 2,
    .shine = "<circle cx=\"3\" cy=\"-3\" r=\"3\" fill=\"#ffffff\"/>",
};

/* Left eye and right eye of each eye style. */
static const struct eye_shape *const eye_styles[][2] = {
    {&eye_dot, &eye_dot},       {&eye_sparkle, &eye_sparkle},
    {&eye_happy, &eye_happy},   {&eye_sleepy, &eye_sleepy},
    {&eye_oval, &eye_oval},     {&eye_lashes, &eye_lashes},
    {&eye_sparkle, &eye_happy}, /* wink */
};

static void
add_eye_path(struct buf *out, const struct eye_shape *e, const char *colour,
             int stroke_width)
{
	buf_addf(out,
	         "<path d=\"%s\" fill=\"%s\" stroke=\"%s\""
	         " stroke-width=\"%d\"/>",
	         e->path, e->filled ? colour : "none", colour, stroke_width);
}

/* Draw one eye at x, on a wider light copy of itself when fur is dark. */
static void
draw_eye(struct buf *out, const struct avatar *a, const struct eye_shape *e,
         int x)
{
	buf_addf(out, "<g transform=\"translate(%d %d)\">", x, EYE_Y);
	if (a->fur->eye_halo != NULL)
		add_eye_path(out, e, a->fur->eye_halo, e->stroke_width + 6);
	add_eye_path(out, e, a->eye_colour, e->stroke_width);
	buf_addf(out, "%s</g>", e->shine);
}

static void
draw_eyes(struct buf *out, const struct avatar *a)
{
	draw_eye(out, a, eye_styles[a->eyes][0], EYE_LEFT_X);
	draw_eye(out, a, eye_styles[a->eyes][1], EYE_RIGHT_X);
}

/*
 * Nose outlines centred on the origin, each about 16 by 11: a soft
 * triangle, a heart, an oval and a button.
 */
static const char *const nose_paths[] = {
    "M-8-3Q0-7 8-3Q5 4 0 5Q-5 4-8-3Z",
    "M0 5C-10-1-8-7-4-7C-2-7 0-5 0-4C0-5 2-7 4-7C8-7 10-1 0 5Z",
    "M-7 0A7 5 0 1 0 7 0A7 5 0 1 0-7 0Z",
    "M-5 0A5 5 0 1 0 5 0A5 5 0 1 0-5 0Z",
};

static void
draw_nose(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g transform=\"translate(128 %d)\">", NOSE_Y);
	buf_addf(out, "<path d=\"%s\" fill=\"%s\"/>", nose_paths[a->nose],
	         a->nose_colour);
	buf_adds(out, "<ellipse cx=\"-2\" cy=\"-2\" rx=\"2\" ry=\"1\""
	              " fill=\"#ffffff\" fill-opacity=\"0.7\"/></g>");
}

/* The philtrum and the two lobes of a bunny mouth, as path data. */
#define MOUTH_W      "M128 163V168M116 167Q122 175 128 168Q134 175 140 167"
#define MOUTH_STROKE "fill=\"none\" stroke-width=\"3\""

static void
mouth_w(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"" MOUTH_W "\" " MOUTH_STROKE " stroke=\"%s\"/>",
	         a->fur->line);
}

static void
mouth_smile(struct buf *out, const struct avatar *a)
{
	buf_addf(
	    out,
	    "<path d=\"M128 163V167M117 166Q128 178 139 166\" " MOUTH_STROKE
	    " stroke=\"%s\"/>",
	    a->fur->line);
}

static void
mouth_open(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M128 163V167M118 168Q128 166 138 168"
	         "Q136 184 128 184Q120 184 118 168Z\" fill=\"#7a2e40\""
	         " stroke=\"%s\" stroke-width=\"3\"/>",
	         a->fur->line);
	buf_adds(out, "<path d=\"M122 179Q128 174 134 179Q132 183 128 183"
	              "Q124 183 122 179Z\" fill=\"#f28da0\"/>");
}

static void
mouth_teeth(struct buf *out, const struct avatar *a)
{
	buf_addf(
	    out,
	    "<path d=\"M122 168H134V176Q134 178 132 178H124"
	    "Q122 178 122 176ZM128 168V178\" fill=\"#ffffff\" stroke=\"%s\""
	    " stroke-width=\"2\"/>",
	    a->fur->line);
	mouth_w(out, a);
}

static void
mouth_tongue(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M123 169Q123 181 128 181Q133 181 133 169Z\""
	         " fill=\"#f28da0\" stroke=\"%s\" stroke-width=\"2\"/>",
	         a->fur->line);
	mouth_w(out, a);
}

static void
mouth_o(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M128 163V166\" " MOUTH_STROKE " stroke=\"%s\"/>",
	         a->fur->line);
	buf_addf(out,
	         "<ellipse cx=\"128\" cy=\"173\" rx=\"4\" ry=\"5\""
	         " fill=\"#7a2e40\" stroke=\"%s\" stroke-width=\"2.5\"/>",
	         a->fur->line);
}

static draw_fn *const mouths[] = {
    mouth_w, mouth_smile, mouth_open, mouth_teeth, mouth_tongue, mouth_o,
};

static void
cheek_round(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<circle cx=\"86\" cy=\"164\" r=\"11\" fill=\"%s\""
	         " fill-opacity=\"0.55\"/>",
	         a->cheek_colour);
}

static void
cheek_oval(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<ellipse cx=\"86\" cy=\"164\" rx=\"14\" ry=\"8\""
	         " fill=\"%s\" fill-opacity=\"0.6\"/>",
	         a->cheek_colour);
}

static void
cheek_freckles(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<g fill=\"%s\"><circle cx=\"80\" cy=\"162\" r=\"2.5\"/>"
	         "<circle cx=\"89\" cy=\"159\" r=\"2.5\"/>"
	         "<circle cx=\"87\" cy=\"168\" r=\"2.5\"/></g>",
	         a->cheek_colour);
}

static void
cheek_lines(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M78 169L83 160M85 170L90 161M92 171L97 162\""
	         " stroke=\"%s\" stroke-width=\"2.5\"/>",
	         a->cheek_colour);
}

static draw_fn *const cheeks[] = {
    NULL, cheek_round, cheek_oval, cheek_freckles, cheek_lines,
};

static void
whiskers_short(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M76 160L56 155M76 166L56 168\" stroke=\"%s\""
	         " stroke-width=\"2\" stroke-opacity=\"0.7\"/>",
	         a->fur->line);
}

static void
whiskers_long(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M78 156L46 146M76 162L44 162M78 168L46 178\""
	         " stroke=\"%s\" stroke-width=\"2\" stroke-opacity=\"0.7\"/>",
	         a->fur->line);
}

static draw_fn *const whiskers[] = {
    NULL,
    whiskers_short,
    whiskers_long,
};

static void
draw_face(struct buf *out, const struct avatar *a)
{
	if (markings[a->marking] != NULL)
		markings[a->marking](out, a);
	if (cheeks[a->cheeks] != NULL)
		draw_mirrored(out, a, cheeks[a->cheeks]);
	if (whiskers[a->whiskers] != NULL)
		draw_mirrored(out, a, whiskers[a->whiskers]);
	draw_eyes(out, a);
	draw_nose(out, a);
	mouths[a->mouth](out, a);
}

/*
 * Hats
 */

#define TRIM_STROKE "stroke-width=\"3\""

static void
hat_top_hat(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<g transform=\"rotate(-8 128 94)\" fill=\"%s\""
	         " stroke=\"%s\" " TRIM_STROKE ">",
	         a->hat_colour, a->fur->line);
	buf_adds(out, "<path d=\"M105 92L107 42Q128 38 149 42L151 92Z\"/>");
	buf_adds(out, "<path d=\"M106 76H150L151 88H105Z\" fill=\"#2b2230\""
	              " fill-opacity=\"0.45\" stroke=\"none\"/>");
	buf_adds(out, "<ellipse cx=\"128\" cy=\"93\" rx=\"38\" ry=\"8\"/>");
	buf_adds(out, "</g>");
}

static void
hat_beanie(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g fill=\"%s\" stroke=\"%s\" " TRIM_STROKE ">",
	         a->hat_colour, a->fur->line);
	buf_adds(out, "<path d=\"M88 104Q86 56 128 56Q170 56 168 104Z\"/>");
	buf_adds(out, "<path d=\"M108 64V98M128 58V98M148 64V98\""
	              " stroke-opacity=\"0.3\" fill=\"none\"/>");
	buf_adds(out,
	         "<path d=\"M84 98Q128 86 172 98V112Q128 100 84 112Z\"/>"
	         "<circle cx=\"128\" cy=\"52\" r=\"11\" fill=\"#ffffff\"/>");
	buf_adds(out, "</g>");
}

static void
hat_crown(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g stroke=\"%s\" " TRIM_STROKE " fill=\"#f5c542\">",
	         a->fur->line);
	buf_adds(out, "<path d=\"M100 98L97 62L114 78L128 56L142 78L159 62"
	              "L156 98Z\"/>");
	buf_adds(out, "<circle cx=\"97\" cy=\"60\" r=\"4\"/>"
	              "<circle cx=\"128\" cy=\"54\" r=\"4\"/>"
	              "<circle cx=\"159\" cy=\"60\" r=\"4\"/>");
	buf_addf(out,
	         "<g fill=\"%s\" stroke-width=\"2\">"
	         "<circle cx=\"128\" cy=\"86\" r=\"5\"/>"
	         "<circle cx=\"111\" cy=\"88\" r=\"3\"/>"
	         "<circle cx=\"145\" cy=\"88\" r=\"3\"/></g>",
	         a->hat_colour);
	buf_adds(out, "</g>");
}

static void
hat_party(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<g transform=\"rotate(12 128 96)\" stroke=\"%s\" " TRIM_STROKE
	         ">",
	         a->fur->line);
	buf_addf(out, "<path d=\"M106 96L128 36L150 96Z\" fill=\"%s\"/>",
	         a->hat_colour);
	buf_adds(out, "<g fill=\"#ffffff\" stroke=\"none\">"
	              "<circle cx=\"124\" cy=\"62\" r=\"3.5\"/>"
	              "<circle cx=\"135\" cy=\"76\" r=\"3.5\"/>"
	              "<circle cx=\"118\" cy=\"84\" r=\"3.5\"/>"
	              "<circle cx=\"140\" cy=\"90\" r=\"3\"/></g>");
	buf_adds(out, "<circle cx=\"128\" cy=\"34\" r=\"7\""
	              " fill=\"#ffffff\"/></g>");
}

static void
hat_beret(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<g transform=\"rotate(-10 128 96)\" fill=\"%s\""
	         " stroke=\"%s\" " TRIM_STROKE ">",
	         a->hat_colour, a->fur->line);
	buf_adds(out, "<path d=\"M128 62V54\" stroke-width=\"4\"/>");
	buf_adds(out, "<path d=\"M86 98Q74 62 128 62Q182 62 170 98"
	              "Q128 108 86 98Z\"/>");
	buf_adds(out, "</g>");
}

static void
hat_bow(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<g transform=\"rotate(-18 156 96)\" fill=\"%s\""
	         " stroke=\"%s\" " TRIM_STROKE ">",
	         a->hat_colour, a->fur->line);
	buf_adds(out, "<path d=\"M156 96L138 84Q132 96 138 108ZM156 96"
	              "L174 84Q180 96 174 108Z\"/>");
	buf_adds(out, "<circle cx=\"156\" cy=\"96\" r=\"6\"/>");
	buf_adds(out, "</g>");
}

/* Index 0 is no hat. */
static draw_fn *const hats[] = {
    NULL, hat_top_hat, hat_beanie, hat_crown, hat_party, hat_beret, hat_bow,
};

/*
 * Accessories
 */

static void
accessory_bow_tie(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g fill=\"%s\" stroke=\"%s\" " TRIM_STROKE ">",
	         a->accessory_colour, a->fur->line);
	buf_adds(out, "<path d=\"M128 208L106 196Q100 208 106 220Z"
	              "M128 208L150 196Q156 208 150 220Z\"/>");
	buf_adds(out, "<rect x=\"121\" y=\"201\" width=\"14\" height=\"14\""
	              " rx=\"4\"/></g>");
}

static void
accessory_scarf(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g fill=\"%s\" stroke=\"%s\" " TRIM_STROKE ">",
	         a->accessory_colour, a->fur->line);
	buf_adds(out, "<path d=\"M148 212L172 212L170 252L146 248Z\"/>");
	buf_adds(out, "<path d=\"M70 194Q128 224 186 194L190 210"
	              "Q128 244 66 210Z\"/>");
	buf_adds(
	    out,
	    "<path d=\"M148 230L171 232M147 240L170 242\""
	    " stroke=\"#ffffff\" stroke-opacity=\"0.6\" stroke-width=\"4\"/>");
	buf_adds(out, "</g>");
}

static void
accessory_bell(struct buf *out, const struct avatar *a)
{
	buf_addf(out, "<g stroke=\"%s\" " TRIM_STROKE ">", a->fur->line);
	buf_addf(out,
	         "<path d=\"M76 198Q128 222 180 198L182 207"
	         "Q128 234 74 207Z\" fill=\"%s\"/>",
	         a->accessory_colour);
	buf_adds(out, "<circle cx=\"128\" cy=\"227\" r=\"10\""
	              " fill=\"#f5c542\"/>");
	buf_adds(out,
	         "<path d=\"M121 229H135\" stroke-width=\"2\"/>"
	         "<circle cx=\"128\" cy=\"233\" r=\"1.5\" fill=\"#2b2230\"/>");
	buf_adds(out, "</g>");
}

static void
accessory_flower(struct buf *out, const struct avatar *a)
{
	static const int petals[][2] = {
	    {0, -10}, {10, -3}, {6, 8}, {-6, 8}, {-10, -3},
	};
	size_t i;

	buf_addf(out,
	         "<g transform=\"translate(82 106)\" fill=\"%s\""
	         " stroke=\"%s\" stroke-width=\"2.5\">",
	         a->accessory_colour, a->fur->line);
	for (i = 0; i < ARRAY_LEN(petals); i++)
		buf_addf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"7\"/>",
		         petals[i][0], petals[i][1]);
	buf_adds(out, "<circle r=\"6\" fill=\"#ffd84d\"/></g>");
}

static void
accessory_bandana(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M78 196Q128 218 178 196L128 242Z\""
	         " fill=\"%s\" stroke=\"%s\" " TRIM_STROKE "/>",
	         a->accessory_colour, a->fur->line);
	buf_adds(out, "<g fill=\"#ffffff\" fill-opacity=\"0.8\">"
	              "<circle cx=\"110\" cy=\"212\" r=\"2.5\"/>"
	              "<circle cx=\"146\" cy=\"212\" r=\"2.5\"/>"
	              "<circle cx=\"128\" cy=\"220\" r=\"2.5\"/>"
	              "<circle cx=\"120\" cy=\"230\" r=\"2\"/>"
	              "<circle cx=\"136\" cy=\"230\" r=\"2\"/></g>");
}

/* Index 0 is no accessory. */
static draw_fn *const accessories[] = {
    NULL,           accessory_bow_tie, accessory_scarf,
    accessory_bell, accessory_flower,  accessory_bandana,
};

/*
 * Glasses
 */

#define LENS_FILL    "fill=\"#ffffff\" fill-opacity=\"0.25\""
#define FRAME_STROKE "stroke-width=\"3.5\""

static void
add_temples(struct buf *out, const struct avatar *a)
{
	buf_addf(out,
	         "<path d=\"M87 136L68 130M169 136L188 130\" fill=\"none\""
	         " stroke=\"%s\" " FRAME_STROKE "/>",
	         a->glasses_colour);
}

static void
glasses_round(struct buf *out, const struct avatar *a)
{
	add_temples(out, a);
	buf_addf(out,
	         "<g " LENS_FILL " stroke=\"%s\" " FRAME_STROKE ">"
	         "<circle cx=\"104\" cy=\"140\" r=\"16\"/>"
	         "<circle cx=\"152\" cy=\"140\" r=\"16\"/>"
	         "<path d=\"M120 138Q128 132 136 138\" fill=\"none\"/></g>",
	         a->glasses_colour);
}

static void
glasses_square(struct buf *out, const struct avatar *a)
{
	add_temples(out, a);
	buf_addf(
	    out,
	    "<g " LENS_FILL " stroke=\"%s\" " FRAME_STROKE ">"
	    "<rect x=\"86\" y=\"126\" width=\"36\" height=\"28\" rx=\"7\"/>"
	    "<rect x=\"134\" y=\"126\" width=\"36\" height=\"28\" rx=\"7\"/>"
	    "<path d=\"M122 136Q128 132 134 136\" fill=\"none\"/></g>",
	    a->glasses_colour);
}

static void
glasses_sun(struct buf *out, const struct avatar *a)
{
	add_temples(out, a);
	buf_addf(
	    out,
	    "<g fill=\"#22202a\" fill-opacity=\"0.92\" "
	    "stroke=\"%s\" " FRAME_STROKE
	    "><path d=\"M86 128H122Q124 152 106 154"
	    "Q88 154 86 128ZM170 128H134Q132 152 150 154Q168 154 170 128Z\"/>"
	    "<path d=\"M122 132Q128 128 134 132\" fill=\"none\"/></g>",
	    a->glasses_colour);
	buf_adds(
	    out,
	    "<path d=\"M93 134L101 134M141 134L149 134\""
	    " stroke=\"#ffffff\" stroke-opacity=\"0.7\" stroke-width=\"3\"/>");
}

static void
glasses_hearts(struct buf *out, const struct avatar *a)
{
	add_temples(out, a);
	/* A stroke of 1.75 at scale 2 matches the 3.5 of the other frames. */
	buf_addf(out,
	         "<g fill=\"%s\" fill-opacity=\"0.45\" stroke=\"%s\""
	         " stroke-width=\"1.75\">",
	         a->glasses_colour, a->glasses_colour);
	buf_adds(out, "<path transform=\"translate(104 140) scale(2)\""
	              " d=\"" HEART_PATH "\"/>"
	              "<path transform=\"translate(152 140) scale(2)\""
	              " d=\"" HEART_PATH "\"/></g>");
	buf_addf(out,
	         "<path d=\"M120 134Q128 130 136 134\" fill=\"none\""
	         " stroke=\"%s\" " FRAME_STROKE "/>",
	         a->glasses_colour);
}

static void
glasses_monocle(struct buf *out, const struct avatar *a)
{
	buf_addf(
	    out,
	    "<g stroke=\"%s\"><circle cx=\"152\" cy=\"140\" r=\"16\" " LENS_FILL
	    " " FRAME_STROKE "/><path d=\"M165 150Q180 178 166 204\""
	    " fill=\"none\" stroke-width=\"2\"/></g>",
	    a->glasses_colour);
}

/* Index 0 is no glasses. */
static draw_fn *const glasses[] = {
    NULL,        glasses_round,  glasses_square,
    glasses_sun, glasses_hearts, glasses_monocle,
};

/*
 * Choosing and drawing a whole avatar
 */

/*
 * Resolve every part from the number in p.  Every part is picked
 * unconditionally and in a fixed order, so the count that pick() and
 * pick_optional() keep in p->combinations ends as the total number of
 * combinations.  Reordering the picks changes every avatar.
 */
static void
choose_parts(struct picker *p, struct avatar *a)
{
	a->backdrop = &backdrops[pick(p, ARRAY_LEN(backdrops))];
	a->pattern = pick(p, ARRAY_LEN(patterns));
	a->fur = &furs[pick(p, ARRAY_LEN(furs))];
	a->inner_ear = inner_ear_colours[pick(p, ARRAY_LEN(inner_ear_colours))];
	a->body = pick(p, ARRAY_LEN(body_shapes));
	a->head = pick(p, ARRAY_LEN(head_shapes));
	a->ears = pick(p, ARRAY_LEN(ear_styles));
	a->marking = pick(p, ARRAY_LEN(markings));
	a->eyes = pick(p, ARRAY_LEN(eye_styles));
	a->eye_colour = eye_colours[pick(p, ARRAY_LEN(eye_colours))];
	a->nose = pick(p, ARRAY_LEN(nose_paths));
	a->nose_colour = nose_colours[pick(p, ARRAY_LEN(nose_colours))];
	a->mouth = pick(p, ARRAY_LEN(mouths));
	a->cheeks = pick_optional(p, 4, ARRAY_LEN(cheeks), cheek_colours,
	                          ARRAY_LEN(cheek_colours), &a->cheek_colour);
	a->whiskers = pick(p, ARRAY_LEN(whiskers));
	a->hat = pick_optional(p, 36, ARRAY_LEN(hats), trim_colours,
	                       ARRAY_LEN(trim_colours), &a->hat_colour);
	a->accessory =
	    pick_optional(p, 30, ARRAY_LEN(accessories), trim_colours,
	                  ARRAY_LEN(trim_colours), &a->accessory_colour);
	a->glasses =
	    pick_optional(p, 36, ARRAY_LEN(glasses), frame_colours,
	                  ARRAY_LEN(frame_colours), &a->glasses_colour);
}

static void
picker_init(struct picker *p, const char *identifier, size_t len)
{
	static const unsigned char empty[1];

	SHA256(len > 0 ? (const unsigned char *)identifier : empty, len,
	       p->number);
	p->combinations = 1;
}

void
avatar_render_svg(const char *identifier, size_t len, struct buf *out)
{
	struct picker p;
	struct avatar a;

	picker_init(&p, identifier, len);
	choose_parts(&p, &a);

	/* Back to front: each layer may cover the ones before it. */
	buf_adds(out, SVG_OPEN);
	draw_background(out, &a);
	draw_body(out, &a);
	draw_ears(out, &a, false);
	draw_head(out, &a);
	draw_face(out, &a);
	draw_ears(out, &a, true);
	if (a.hat != 0)
		hats[a.hat](out, &a);
	if (a.accessory != 0)
		accessories[a.accessory](out, &a);
	if (a.glasses != 0)
		glasses[a.glasses](out, &a);
	buf_adds(out, SVG_CLOSE);
}

unsigned long long
avatar_combinations(void)
{
	struct picker p;
	struct avatar a;

	memset(p.number, 0, sizeof(p.number));
	p.combinations = 1;
	choose_parts(&p, &a);
	return p.combinations;
}
