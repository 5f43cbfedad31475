/* kernel.h: what every kernel exposes, and the registry that lists them.
 *
 * A kernel computes rows of an image or grid into shared memory. It never forks, never
 * opens files and never parses JSON: io/config fills its typed parameter struct from
 * the parameter table, the driver maps nothing itself but asks the kernel to, and the
 * runtime pool calls the kernel's row functions from the workers.
 *
 * The life of a kernel in one job:
 *   check()     cross-field rules the table cannot express (the table already checked
 *               each field's type and range);
 *   create()    allocate state and map shared buffers (the size of every buffer checked
 *               for overflow; failures reported through fb_error());
 *   pass(i)     for i = 0, 1, ... describe pass i (a struct fb_pass) until it returns
 *               false; the driver runs each on the pool, then calls after_pass(i),
 *               which runs in the parent between passes (it must stay cheap: anything
 *               proportional to the pixels belongs in a pass);
 *   output() / totals()  read the results; footprint() says how much memory a run
 *               will touch (config validation refuses jobs that cannot fit);
 *   destroy()   unmap and free.
 * Results must not depend on the worker count or schedule: per-chunk partial totals
 * are integers (order-free) or folded in a fixed order.
 */
#ifndef FORKBAND_KERNEL_H
#define FORKBAND_KERNEL_H

#include "runtime/compat.h"

#include "io/image.h"
#include "runtime/pool.h"

enum fb_param_type {
	FB_PARAM_INT,		/* int64_t, min..max inclusive */
	FB_PARAM_REAL,		/* double, finite, min..max (min exclusive if min_open);
				 * NAN when optional and not given */
	FB_PARAM_POINT,		/* double[2]: [re, im], both finite */
	FB_PARAM_CHOICE,	/* int: index into choices */
	FB_PARAM_MATRIX,	/* struct fb_matrix: an odd-sized square of finite numbers */
	FB_PARAM_OPS,		/* struct fb_op_list: a list of operations, each with its
				 * own parameter table (ops, n_ops) */
	FB_PARAM_MATSRC,	/* struct fb_matsrc: {"npy": path} or {"generate": kind,
				 * "rows", "cols", "seed"}, read or made by io/config */
	FB_PARAM_OBJECT,	/* an object whose keys are ops[0]'s params, stored inline
				 * at offset (ops[0].params' offsets are within it) */
	FB_PARAM_LIST,		/* struct fb_op_list of ops[0] objects, without "op" keys */
	FB_PARAM_LOCATION,	/* char *: a view location file (Kalles Fraktaler's .kfr)
				 * that io/config reads into the table's center, scale and
				 * max_iter params; the path as opened, malloc()ed by
				 * io/config and freed by fb_params_free(); NULL: none */
};

/* A matrix operand: where it came from, and its values (malloc()ed by io/config and
 * freed by fb_params_free()). */
struct fb_matsrc {
	char *npy;		/* the file it was read from, or NULL if generated */
	int generate;		/* enum fb_matgen (kernels/matgen.h) when npy is NULL */
	uint64_t rows, cols, seed;
	double *data;		/* rows x cols, row-major */
};

#define FB_MATRIX_MAX 15

/* A square matrix of n x n values (n odd, 1 to FB_MATRIX_MAX), row-major. */
struct fb_matrix {
	unsigned n;
	double v[FB_MATRIX_MAX * FB_MATRIX_MAX];
};

struct fb_param;

/* One kind of operation in an FB_PARAM_OPS list: {"op": name, ...its params}. */
struct fb_op_def {
	const char *name;
	const char *help;
	const struct fb_param *params;
	size_t n_params;
	size_t params_size;
};

/* A parsed list: kind indexes the param's ops; params is malloc()ed, params_size of
 * that op, every field set. Freed by fb_params_free(). */
struct fb_op {
	unsigned kind;
	void *params;
};

struct fb_op_list {
	size_t n;
	struct fb_op *op;
};

/* One parameter: drives validation, `forkband kernels` and docs/config.md. */
struct fb_param {
	const char *name;
	enum fb_param_type type;
	size_t offset;			/* of the value in the kernel's params struct */
	const char *help;		/* one line, lowercase, no full stop */
	double min, max;		/* INT, REAL */
	bool min_open;			/* REAL: value must be > min */
	double def[2];			/* INT, REAL: def[0]; POINT: both */
	const char *const *choices;	/* CHOICE: NULL-terminated */
	int def_choice;
	bool required;			/* no default: a job must give it */
	bool optional;			/* REAL: may be left out (NAN); def_text says what then */
	const char *def_text;		/* the default in words, for the docs */
	const struct fb_op_def *ops;	/* OPS: the kinds of operation */
	size_t n_ops;
	/* REAL, POINT: a value may also be given as a decimal string of any precision
	 * ("-0.7436438870371587047521", "1e-300"), kept as written in a char
	 * [FB_DECIMAL_MAX + 1] at text_offset (POINT: two of them, re then im; "" for a
	 * value given as a number). The value at offset is the text rounded to double (a
	 * REAL below double's range rounds to 0: the text is what counts). */
	bool decimal;
	size_t text_offset;
};

/* The longest decimal string a param takes: enough digits for views 1e-4000 wide. */
#define FB_DECIMAL_MAX 4096

/* A total reported in the summary and the JSON report: a number, or (array) a list
 * of counts, which only the report shows. */
struct fb_total {
	const char *name;
	bool is_real;
	uint64_t u;
	double d;
	const uint64_t *array;
	size_t array_len;
};

/* What a job produces: an image (8-bit RGB in rgb, or any layout in image), and
 * optionally a raw grid. */
struct fb_kernel_output {
	const uint8_t *rgb;		/* width * height * 3, row-major; NULL if image */
	const struct fb_image *image;	/* the output in any io/image.h layout, or NULL */
	const void *raw;		/* width * height values, row-major; NULL: none */
	const char *raw_descr;		/* .npy dtype of raw ("<u4") */
	size_t raw_elem_size;
};

/* How a streaming kernel holds its rows (create_strips()): strips of `strip` rows;
 * the output image's rows in a ring of `ring` rows (row y at y mod ring), and, when
 * raw_ring is not 0, the raw grid's rows in a ring of raw_ring rows. */
struct fb_strip_shape {
	uint32_t strip, ring, raw_ring;
};

/* The input rows a strip needs (input kernels): rows [lo, hi), which may reach past the
 * image where the kernel wraps (row v is then row v mod height); the pipeline points
 * rows[v - lo] at each before the strip's first pass. */
struct fb_strip_input {
	int64_t lo, hi;
	uint32_t halo;		/* rows a strip reads above and below its own */
	bool wrap;		/* rows past an end are rows of the other end */
	const void **rows;	/* the kernel's, room for the tallest strip's window */
};

struct fb_kernel {
	const char *name;
	const char *summary;			/* one line */
	const struct fb_param *params;
	size_t n_params;
	size_t params_size;			/* sizeof the kernel's params struct */
	const char *raw_output;			/* config key of the raw grid ("iterations") */
	bool input;				/* filters a PNG named by the job's "input" */
	/* Its whole-image passes say where their rows go (struct fb_pass.out_rows), so
	 * that their rows can be computed in other processes: MPI ranks. */
	bool rows_declared;
	/* The image size the params imply (matmul: C's), or NULL when the job's width
	 * and height (or the input's size) are used. */
	void (*size)(const void *params, uint32_t *width, uint32_t *height);
	/* Kernels that step may be filmed (output.frames): the driver calls frames(state,
	 * every) after create; the kernel then ends its stepped pass every `every` steps and
	 * follows it with passes that colour the field, the last one flagged .frame; the
	 * driver writes a frame after each such pass, named by frame_step(). */
	void (*frames)(void *state, unsigned every);
	uint64_t (*frame_step)(void *state);
	const char *raw_help;

	/* Returns 0, or -1 with *field (a param name) and expected (a phrase such as
	 * "at most 16777216 with histogram coloring") filled in. */
	int (*check)(const void *params, uint32_t width, uint32_t height,
		     const char **field, char *expected, size_t expected_len);
	/* input: the decoded input image for kernels with `input` set, else NULL (width
	 * and height are then the job's; for input kernels they are the image's). */
	int (*create)(void **state, const void *params, uint32_t width, uint32_t height,
		      const struct fb_image *input);
	bool (*pass)(void *state, unsigned i, struct fb_pass *pass);
	/* Serial work of the parent's after create() (or create_strips()) and before the
	 * first pass, too long to go unseen (deep zoom's reference orbit): prepare()
	 * names it in *shown (name, phase, rows, unit), calls shown->progress(shown->pctx,
	 * shown, done) as it goes (the caller sets progress and pctx), and its time counts
	 * in shown's phase. What it maps is mapped before any worker forks. NULL: none.
	 * 0, or -1 after reporting. */
	int (*prepare)(void *state, struct fb_pass *shown);
	int (*after_pass)(void *state, unsigned i);
	void (*output)(void *state, struct fb_kernel_output *out);
	size_t (*totals)(void *state, struct fb_total *out, size_t max);
	/* Bytes of memory the job will touch: every buffer, shared or private. */
	size_t (*footprint)(void *state);
	void (*destroy)(void *state);

	/* Streaming, for kernels whose rows can be made strip by strip (NULL: the kernel
	 * runs on the whole image only). create_strips() is create() with the rows in rings
	 * (struct fb_strip_shape; input: the input's header, pixels NULL); output() then
	 * points at the rings. In such a state pass(i) lists only the passes over the whole
	 * image that must come before the first strip (histogram colouring's histogram),
	 * and strip_pass(i, y0, y1) describes pass i of the strip of rows [y0, y1), false
	 * after the last: called in the parent just before the pass runs, so that the
	 * kernel may set up the strip's windows then. Its rows [0, pass.rows) are the
	 * kernel's to map onto the strip (and its halo). The rows made must not depend on
	 * how the image is cut into strips. footprint() counts the rings and windows.
	 * strip_input (input kernels) says which input rows strip [y0, y1) reads. */
	int (*create_strips)(void **state, const void *params, uint32_t width, uint32_t height,
			     const struct fb_image *input, const struct fb_strip_shape *shape);
	bool (*strip_pass)(void *state, unsigned i, uint32_t y0, uint32_t y1,
			   struct fb_pass *pass);
	void (*strip_input)(void *state, uint32_t y0, uint32_t y1, struct fb_strip_input *in);
};

/* The range of the values seen so far, empty until the first. Taking a min and a max
 * does not depend on the order, so chunks' ranges can be merged as they finish. */
struct fb_range {
	double min, max;
	bool any;
};

static inline void fb_range_add(struct fb_range *r, double v)
{
	if (!r->any || v < r->min)
		r->min = v;
	if (!r->any || v > r->max)
		r->max = v;
	r->any = true;
}

static inline void fb_range_merge(struct fb_range *r, const struct fb_range *o)
{
	if (o->any) {
		fb_range_add(r, o->min);
		fb_range_add(r, o->max);
	}
}

/* The registry, in the order `forkband kernels` lists them. */
extern const struct fb_kernel *const fb_kernels[];
extern const size_t fb_kernel_count;

/* The kernel called name, or NULL. */
const struct fb_kernel *fb_kernel_find(const char *name);

/* matmul's BLAS, as "OpenBLAS 0.3.21, SkylakeX kernels": the kernels OpenBLAS picked
 * for this CPU (or OPENBLAS_CORETYPE), which set the last bits of the blas engine. */
const char *fb_matmul_blas_name(void);

/* Fills a params struct with the table's defaults. */
void fb_kernel_defaults(const struct fb_kernel *k, void *params);

/* The same for any parameter table (an op's). */
void fb_params_defaults(const struct fb_param *table, size_t n, void *params);

/* Frees what a params struct owns (op lists); not the struct itself. */
void fb_params_free(const struct fb_param *table, size_t n, void *params);

#endif
