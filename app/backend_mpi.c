/* backend_mpi.c: a streamed job across MPI ranks (backend_mpi.h says how and why). */
#include "runtime/compat.h"

#include "backend_mpi.h"

#include "driver.h"
#include "instream.h"
#include "pipeline.h"
#include "strips.h"

#include "io/npy.h"
#include "io/png_encode.h"
#include "runtime/barrier.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static int my_rank, n_ranks = 1;
static char *hosts;		/* [n_ranks][MPI_MAX_PROCESSOR_NAME] */
static bool initialised, finalised;
/* A rank other than 0 keeps its last message for rank 0 to print (agree()). */
static char kept[512];

enum { TAG_ASK = 1, TAG_BAND, TAG_RESULT, TAG_FAIL, TAG_AGREE, TAG_HALO };

/* Bands a job is cut into per rank (when the memory budget allows bands that tall):
 * enough for the uneven rows of the Mandelbrot set to even out. */
#define BANDS_PER_RANK 8


struct exch;

static const char *host_of(int rank)
{
	return hosts ? hosts + (size_t)rank * MPI_MAX_PROCESSOR_NAME : "?";
}

/* What a rank sends rank 0 for one band; then group records, their deflate streams,
 * the raw grid's rows and the partials, in that order. */
struct result_head {
	int32_t band;
	uint32_t groups;	/* PNG groups that follow */
	uint32_t parts;		/* partial totals that follow */
	uint32_t rows;		/* the band's rows, for the progress bar */
	uint64_t zbytes, raw_bytes;
	double busy_s;		/* time its passes took */
};

/* Shared: the partial totals a rank's workers folded in the band's pass, which rank 0
 * folds again into the job's totals. A region of the pass's state, so that a rerun
 * after a worker died holding the lock starts it afresh. */
struct plog {
	uint64_t n;
	unsigned char data[];
};

/* One job on one rank. */
struct mjob {
	const struct fb_job *job;
	const struct fb_kernel *k;
	const struct fb_pool_options *popt;
	struct fb_job_result *res;
	struct fb_progress *prog;
	void *state;
	struct fb_kernel_output out;
	struct fb_image img;
	bool png, raw;
	char what[600];
	struct fb_png_groups enc;	/* this rank's encoder, over the kernel's ring */
	uint32_t *band_start;		/* [n_bands + 1]: band b is rows [start[b], start[b+1]) */
	uint32_t n_bands, strip_max, slots;
	unsigned phase;			/* 0: the counting pass; 1: the strips */
	bool counted;			/* this rank has counted a band (phase 0) */
	struct fb_instream in;
	bool has_in;

	/* The pass being run: the kernel's pass, and how the pool's rows map onto it. */
	struct fb_pass kpass;
	uint32_t sub_at;	/* the pool's row 0 is the kernel pass's row sub_at */
	uint32_t sub_rows;	/* whole-image kernels: this rank's rows from sub_at */
	struct exch *exch;	/* stepped passes: the halo exchange at each step's end */
	uint32_t sub_ctx;	/* pool rows before this are context: partials dropped */
	uint32_t g0;		/* the band's first group (encode tasks) */
	void *scratch;		/* a partial to drop */
	size_t psize;
	struct plog *log_mem;	/* ranks other than 0: room for a pass's partials */
	struct plog *log;	/* log_mem while the band's folding pass runs */
	size_t log_size;
	double busy_s;

	/* Rank 0. */
	struct fb_png_groups wr;	/* the groups as received, for the stream */
	struct fb_stream_out o;
	uint32_t next_band, applied, handed, received, unfolded;
	int finished;			/* ranks told that no band is left */
	int *deferred, n_deferred;	/* ranks waiting for the window to move */
	void **pend;			/* [n_bands]: results not yet appended */
	size_t *pend_len;
	uint64_t pending_bytes, window_bytes;
	void **tofold;			/* [n_bands]: appended results with partials */
	int failed;			/* 0, FB_DRIVE_RUN_FAILED or FB_DRIVE_SETUP_FAILED */
	char fail_msg[700];
	uint64_t done_rows, units;
	bool hash;			/* a study's: CRC-32s of the outputs */
	bool corrupt;			/* its test: one bit of the raw grid flipped */
	unsigned long raw_crc;
	struct fb_pass shown;
	double write_s;
};

/* ---- a band on this rank ---- */

static uint32_t band_y0(const struct mjob *m, uint32_t b)
{
	return m->band_start[b];
}

static uint32_t band_y1(const struct mjob *m, uint32_t b)
{
	return m->band_start[b + 1];
}

/* The first row band b computes: its own, or (the strips of a PNG) the rows its first
 * group's dictionary and filter reach back to. */
static uint32_t band_c0(const struct mjob *m, uint32_t b)
{
	uint32_t y0 = band_y0(m, b);

	return m->phase == 1 && m->png && y0 ? fb_png_group_first_row(&m->enc, y0 / m->enc.group_rows)
					     : y0;
}

static void band_groups(const struct mjob *m, uint32_t b, uint32_t *g0, uint32_t *g1)
{
	uint32_t y1 = band_y1(m, b);

	*g0 = band_y0(m, b) / m->enc.group_rows;
	*g1 = y1 >= m->job->height ? m->enc.n : y1 / m->enc.group_rows;
}

static void sub_compute(void *ctx, uint32_t y0, uint32_t y1, void *partial)
{
	struct mjob *m = ctx;
	uint32_t c = m->sub_ctx;

	if (y0 < c) {
		if (m->psize)
			memset(m->scratch, 0, m->psize);
		m->kpass.compute(m->kpass.ctx, m->sub_at + y0, m->sub_at + (y1 < c ? y1 : c),
				 m->psize ? m->scratch : NULL);
	}
	/* Always called, even on no rows: a kernel sets its partial's empty ranges there. */
	y0 = y0 > c ? y0 : c;
	y1 = y1 > c ? y1 : c;
	m->kpass.compute(m->kpass.ctx, m->sub_at + y0, m->sub_at + y1, partial);
}

/* Under the pool's lock. */
static void sub_fold(void *ctx, const void *partial)
{
	struct mjob *m = ctx;

	m->kpass.fold(m->kpass.ctx, partial);
	if (m->log) {
		/* Entries psize apart (the largest partial), each the pass's own size. */
		memcpy(m->log->data + m->log->n * m->psize, partial, m->kpass.partial_size);
		m->log->n++;
	}
}

static void sub_task(void *ctx, uint32_t i)
{
	struct mjob *m = ctx;

	fb_png_groups_encode(&m->enc, m->g0 + i, m->g0 + i + 1);
}

static bool serve_poll(void *pctx);

static void show_progress(struct mjob *m)
{
	if (m->units)
		fb_progress_update(m->prog, &m->shown, m->done_rows * m->job->height / m->units);
}

static void notice(void *pctx, const char *msg)
{
	struct mjob *m = pctx;

	if (my_rank == 0)
		fb_progress_notice(m->prog, msg);
	else	/* a worker recovered on another rank: said as it happens, as on rank 0 */
		fprintf(stderr, "forkband-mpi: rank %d (%s): %s\n", my_rank, host_of(my_rank),
			msg);
}

/* Runs one pass of the band on this rank's workers; rank 0 serves the others
 * meanwhile. */
static int run_pass(struct mjob *m, struct fb_pass *p)
{
	struct fb_pass_stats st;
	uint64_t t0 = fb_now_ns();
	double s;

	p->pctx = m;
	p->notice = notice;
	p->progress = NULL;
	if (my_rank == 0) {
		p->parent_work = serve_poll;
		p->parent_poll = true;
		/* No unwritten output bytes may be inherited by the workers. */
		if ((m->o.png.f && fflush(m->o.png.f) != 0) ||
		    (m->o.raw.f && fflush(m->o.raw.f) != 0))
			return fb_error_errno("cannot write the output of '%s'", m->job->label);
	}
	if (fb_pool_run(m->popt, p, &st) < 0)
		return -1;
	s = (double)(fb_now_ns() - t0) / 1e9;
	m->busy_s += s;
	fb_result_record_pass(m->res, p, &st);
	fb_result_add_phase(m->res, p->phase ? p->phase : p->name, s);
	return 0;
}

/* Points the kernel at the input rows of rows [c0, y1), decoding them. */
static int feed(struct mjob *m, uint32_t c0, uint32_t y1)
{
	struct fb_strip_input want;
	int64_t h = m->job->height;
	double before = m->in.seconds;

	m->k->strip_input(m->state, c0, y1, &want);
	for (int64_t v = want.lo; v < want.hi; v++) {
		const void *row = fb_instream_row(&m->in, (uint32_t)(((v % h) + h) % h));

		if (!row)
			return -1;
		want.rows[v - want.lo] = row;
	}
	fb_result_add_phase(m->res, "read", m->in.seconds - before);
	return 0;
}

/* Computes band b here and packs what rank 0 needs of it into *msg (malloc()ed).
 * 0; -1 after reporting; -2 after reporting a broken input. */
static int run_band(struct mjob *m, uint32_t b, void **msg, size_t *len)
{
	uint32_t y0 = band_y0(m, b), y1 = band_y1(m, b), c0 = band_c0(m, b), g0 = 0, g1 = 0;
	struct result_head head = { .band = (int32_t)b, .rows = y1 - y0 };
	struct fb_pass kp, p;
	size_t elem = m->out.raw_elem_size, w = m->job->width;
	unsigned char *q;

	m->busy_s = 0;
	m->log = NULL;
	if (m->phase == 0) {
		/* Histogram colouring's count: the rows of the band, nothing kept. */
		m->k->pass(m->state, 0, &kp);
		m->kpass = kp;
		p = kp;
		/* The counts of this rank's earlier bands are in the region: a rerun after a
		 * death in the lock must restore them, not clear them. */
		for (unsigned i = 0; m->counted && i < FB_PASS_STATE_MAX; i++)
			p.state[i].zero = false;
		m->counted = true;
		p.rows = y1 - y0;
		p.ctx = m;
		p.compute = sub_compute;
		p.fold = kp.fold ? sub_fold : NULL;
		p.row_origin = y0;
		m->sub_at = y0;
		m->sub_ctx = 0;
		if (run_pass(m, &p) < 0)
			return -1;
	} else {
		if (m->has_in) {
			struct fb_error_capture cap;
			int bad;

			fb_error_capture_begin(&cap);
			bad = feed(m, c0, y1) < 0;
			fb_error_capture_end(&cap);
			if (bad) {
				fb_error("%s: input: %s", m->job->label, cap.msg);
				return -2;
			}
		}
		unsigned passes = 0;

		while (m->k->strip_pass(m->state, passes, c0, y1, &kp))
			passes++;
		if (m->png) {
			band_groups(m, b, &g0, &g1);
			m->g0 = g0;
		}
		for (unsigned i = 0; i < passes && m->k->strip_pass(m->state, i, c0, y1, &kp); i++) {
			m->kpass = kp;
			p = kp;
			p.ctx = m;
			p.compute = sub_compute;
			p.row_origin = c0;
			m->sub_at = 0;
			m->sub_ctx = 0;
			if (!p.phase)
				p.phase = "compute";
			if (kp.fold) {
				/* The totals: the band's own rows only, not the context's. */
				if (kp.rows != y1 - c0 || kp.state[1].p)
					FB_BUG("pass %s folds over %u rows of a %u-row band", kp.name,
					       kp.rows, y1 - c0);
				m->sub_ctx = y0 - c0;
				p.fold = sub_fold;
				if (m->log_mem) {
					m->log = m->log_mem;
					m->log->n = 0;
					p.state[1] = (struct fb_region){ m->log, m->log_size, true };
				}
			}
			if (i + 1 == passes && m->png) {
				/* The band's groups, on the same workers once its rows are made:
				 * one fork a band, not two. */
				p.tasks = g1 - g0;
				p.task = sub_task;
				p.tasks_after = true;
				p.task_unit = "group";
				p.task_origin = g0;
			}
			if (run_pass(m, &p) < 0)
				return -1;
		}
		if (m->png) {
			head.groups = g1 - g0;
			for (uint32_t g = g0; g < g1; g++)
				head.zbytes += m->enc.group[g].status == 1 ? m->enc.group[g].len : 0;
		}
		if (m->raw)
			head.raw_bytes = (uint64_t)(y1 - y0) * w * elem;
	}
	head.busy_s = m->busy_s;
	*len = sizeof(head) + head.groups * sizeof(struct fb_png_group) + head.zbytes +
	       head.raw_bytes;
	if (m->log) {
		head.parts = (uint32_t)m->log->n;
		*len += head.parts * m->psize;
	}
	if (*len > INT32_MAX)
		return fb_error("%s: a band of %u rows is %zu bytes, more than one MPI message "
				"holds (give a smaller --memory)", m->job->label, y1 - y0, *len);
	if (!(*msg = q = malloc(*len)))
		return fb_error("out of memory");
	memcpy(q, &head, sizeof(head));
	q += sizeof(head);
	for (uint32_t g = g0; g < g1; g++) {
		struct fb_png_group rec = m->enc.group[g];

		rec.len = rec.status == 1 ? rec.len : 0;
		memcpy(q, &rec, sizeof(rec));
		q += sizeof(rec);
	}
	for (uint32_t g = g0; g < g1; g++) {
		if (m->enc.group[g].status != 1)
			continue;
		memcpy(q, fb_png_group_slot(&m->enc, g), m->enc.group[g].len);
		q += m->enc.group[g].len;
	}
	for (uint32_t y = y0; head.raw_bytes && y < y1; y++) {
		memcpy(q, (const unsigned char *)m->out.raw + (size_t)(y % m->strip_max) * w * elem,
		       w * elem);
		q += w * elem;
	}
	if (head.parts)
		memcpy(q, m->log->data, head.parts * m->psize);
	return 0;
}

/* ---- rank 0: serving bands, appending results ---- */

static void fail(struct mjob *m, int status, int rank, const char *msg)
{
	if (m->failed)
		return;
	m->failed = status;
	if (rank != 0)
		snprintf(m->fail_msg, sizeof(m->fail_msg), "rank %d (%s): %s", rank, host_of(rank),
			 msg);
}

static void send_band(int rank, int b)
{
	MPI_Send(&b, 1, MPI_INT, rank, TAG_BAND, MPI_COMM_WORLD);
}

/* The next band to hand out: -1 none is left (or the job failed), -2 not yet (the
 * window is full until the band holding it back arrives). */
static int next_band(struct mjob *m)
{
	if (m->failed || m->next_band >= m->n_bands)
		return -1;
	/* What bounds the results rank 0 holds while a slow band is still being computed:
	 * past two bands a rank beyond the last appended, no band is handed out while
	 * they take half the memory budget (each rank then adds at most the band it
	 * holds). */
	if (m->phase == 1 && m->next_band >= m->applied + 2 * (uint32_t)n_ranks &&
	    m->pending_bytes >= m->window_bytes)
		return -2;
	return (int)m->next_band++;
}

static void answer(struct mjob *m, int rank)
{
	int b = next_band(m);

	if (b == -2) {
		m->deferred[m->n_deferred++] = rank;
		return;
	}
	if (b == -1)
		m->finished++;
	else
		m->handed++;
	send_band(rank, b);
}

/* Appends band results in order, as far as they have come. */
static void apply_ready(struct mjob *m)
{
	uint64_t t0 = fb_now_ns();

	while (!m->failed && m->phase == 1 && m->applied < m->n_bands && m->pend[m->applied]) {
		uint32_t b = m->applied, g0 = 0, g1 = 0;
		unsigned char *buf = m->pend[b];
		struct result_head head;
		const unsigned char *q = buf + sizeof(head);
		const unsigned char *z;

		memcpy(&head, buf, sizeof(head));
		if (m->png) {
			band_groups(m, b, &g0, &g1);
			z = q + head.groups * sizeof(struct fb_png_group);
			for (uint32_t g = g0; g < g1; g++, q += sizeof(struct fb_png_group)) {
				memcpy(&m->wr.group[g], q, sizeof(struct fb_png_group));
				if (m->wr.group[g].len > m->wr.slot_cap)
					FB_BUG("group %u of %" PRIu64 " bytes", g, m->wr.group[g].len);
				memcpy(fb_png_group_slot(&m->wr, g), z, m->wr.group[g].len);
				z += m->wr.group[g].len;
			}
			q = z;
			if (fb_png_stream_append(&m->o.ps, g1) < 0) {
				fail(m, FB_DRIVE_RUN_FAILED, 0, NULL);
				break;
			}
		}
		if (head.raw_bytes && m->corrupt && b == 0)
			buf[q - buf] ^= 1;	/* a study's test of its check */
		if (head.raw_bytes && m->hash)
			m->raw_crc = fb_crc32_more(m->raw_crc, q, head.raw_bytes);
		if (head.raw_bytes && m->o.raw.f &&
		    fb_npy_append(&m->o.raw, m->out.raw_elem_size,
				  head.raw_bytes / m->out.raw_elem_size, q) < 0) {
			fb_outfile_finish(&m->o.raw);	/* reports the write error */
			fail(m, FB_DRIVE_RUN_FAILED, 0, NULL);
			break;
		}
		m->pend[b] = NULL;
		m->pending_bytes -= m->pend_len[b];
		if (head.parts) {
			m->tofold[b] = buf;	/* folded between this rank's passes */
			m->unfolded++;
		} else {
			free(buf);
		}
		m->applied++;
	}
	m->write_s += (double)(fb_now_ns() - t0) / 1e9;
}

/* A result or a failure from another rank. */
static void receive(struct mjob *m, const MPI_Status *st)
{
	int count;
	unsigned char *buf;
	struct result_head head;

	MPI_Get_count(st, MPI_BYTE, &count);
	buf = malloc(count > 0 ? (size_t)count : 1);
	if (!buf) {
		fb_error("out of memory");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	MPI_Recv(buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
		 MPI_STATUS_IGNORE);
	m->received++;
	m->res->bytes_received += (uint64_t)count;
	if (st->MPI_TAG == TAG_FAIL) {
		buf[count > 0 ? count - 1 : 0] = '\0';
		fail(m, buf[0] == '2' ? FB_DRIVE_SETUP_FAILED : FB_DRIVE_RUN_FAILED, st->MPI_SOURCE,
		     (const char *)buf + 1);
		free(buf);
		return;
	}
	memcpy(&head, buf, sizeof(head));
	m->res->rank_bands[st->MPI_SOURCE] += m->phase == 1;
	m->res->rank_busy_s[st->MPI_SOURCE] += head.busy_s;
	m->done_rows += head.rows;
	show_progress(m);
	if (m->phase == 1 && !m->failed) {
		m->pend[head.band] = buf;
		m->pend_len[head.band] = (size_t)count;
		m->pending_bytes += (size_t)count;
	} else
		free(buf);
}

/* Answers what the other ranks sent, waiting for one message first if block. */
static void serve(struct mjob *m, bool block)
{
	for (;;) {
		MPI_Status st;
		int flag = 0, phase;

		if (block) {
			MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
			flag = 1;
			block = false;
		} else {
			MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		}
		if (!flag)
			break;
		if (st.MPI_TAG == TAG_ASK) {
			MPI_Recv(&phase, 1, MPI_INT, st.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD,
				 MPI_STATUS_IGNORE);
			answer(m, st.MPI_SOURCE);
		} else if (st.MPI_TAG == TAG_RESULT || st.MPI_TAG == TAG_FAIL) {
			receive(m, &st);
		} else {
			FB_BUG("message with tag %d from rank %d", st.MPI_TAG, st.MPI_SOURCE);
		}
	}
	apply_ready(m);
	/* The window may have moved, or the job failed: the waiting ranks hear now. */
	for (int i = 0; i < m->n_deferred;) {
		int b = next_band(m);

		if (b == -2)
			break;
		if (b == -1)
			m->finished++;
		else
			m->handed++;
		send_band(m->deferred[i], b);
		memmove(m->deferred + i, m->deferred + i + 1,
			(size_t)(m->n_deferred - i - 1) * sizeof(*m->deferred));
		m->n_deferred--;
	}
}

/* The pool's parent_work on rank 0: the other ranks are served while its workers
 * compute. */
static bool serve_poll(void *pctx)
{
	serve(pctx, false);
	return false;
}

/* The partials other ranks folded: into this rank's totals, between its passes (its
 * workers fold into the same totals during a pass). Integers, minima and maxima: the
 * order does not change them. */
static void fold_received(struct mjob *m)
{
	for (uint32_t b = 0; m->unfolded && b < m->n_bands; b++) {
		unsigned char *buf = m->tofold[b];
		struct result_head head;
		const unsigned char *q;
		struct fb_pass kp = { 0 };

		if (!buf)
			continue;
		memcpy(&head, buf, sizeof(head));
		q = buf + sizeof(head) + head.groups * sizeof(struct fb_png_group) + head.zbytes +
		    head.raw_bytes;
		for (unsigned i = 0; m->k->strip_pass(m->state, i, band_c0(m, b), band_y1(m, b), &kp);
		     i++) {
			if (kp.fold)
				break;
		}
		for (uint32_t i = 0; kp.fold && i < head.parts; i++) {
			/* Aligned for its type: the message packs it after bytes of any length. */
			memcpy(m->scratch, q + (size_t)i * m->psize, m->psize);
			kp.fold(kp.ctx, m->scratch);
		}
		free(buf);
		m->tofold[b] = NULL;
		m->unfolded--;
	}
}

/* One phase on rank 0: its own bands and the others'. */
static void lead_phase(struct mjob *m)
{
	bool own_done = false;

	m->next_band = m->handed = m->received = 0;
	m->finished = 0;
	for (;;) {
		serve(m, false);
		if (!own_done) {
			int b = next_band(m);

			if (b == -1) {
				own_done = true;
			} else if (b >= 0) {
				void *msg = NULL;
				size_t len;
				int rc;

				fold_received(m);
				rc = run_band(m, (uint32_t)b, &msg, &len);
				if (rc < 0) {
					fail(m, rc == -2 ? FB_DRIVE_SETUP_FAILED : FB_DRIVE_RUN_FAILED,
					     0, NULL);
					own_done = true;
					continue;
				}
				m->res->rank_bands[0] += m->phase == 1;
				m->res->rank_busy_s[0] += m->busy_s;
				m->done_rows += band_y1(m, (uint32_t)b) - band_y0(m, (uint32_t)b);
				show_progress(m);
				if (m->phase == 1) {
					m->pend[b] = msg;
					m->pend_len[b] = len;
					m->pending_bytes += len;
				} else
					free(msg);
				continue;
			}
		}
		if (own_done && m->finished == n_ranks - 1 && m->received == m->handed &&
		    (m->failed || m->phase == 0 || m->applied == m->n_bands))
			break;
		serve(m, true);
	}
	fold_received(m);
}

/* ---- ranks other than 0 ---- */

static void follow_phase(struct mjob *m)
{
	int phase = (int)m->phase, b, rc = 0;

	/* One band at a time, asked for when the last is sent: a band asked for ahead
	 * would wait here while another rank has nothing left to do (rank 0 answers within
	 * half a millisecond). After a failure the rank only asks, to hear that no band is
	 * left. */
	for (;;) {
		void *msg = NULL;
		size_t len = 0;

		MPI_Send(&phase, 1, MPI_INT, 0, TAG_ASK, MPI_COMM_WORLD);
		MPI_Recv(&b, 1, MPI_INT, 0, TAG_BAND, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (b < 0)
			break;
		if (rc == 0) {
			rc = run_band(m, (uint32_t)b, &msg, &len);
			if (rc == 0) {
				MPI_Send(msg, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
			} else {
				char line[sizeof(kept) + 1];

				snprintf(line, sizeof(line), "%c%s", rc == -2 ? '2' : '1', kept);
				MPI_Send(line, (int)strlen(line) + 1, MPI_CHAR, 0, TAG_FAIL,
					 MPI_COMM_WORLD);
			}
			free(msg);
		}
	}
}

/* ---- the job ---- */

/* Every rank, after a phase: the job's state so far, from rank 0. */
static int phase_status(struct mjob *m)
{
	MPI_Bcast(&m->failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (my_rank == 0 && m->failed && m->fail_msg[0]) {
		fb_progress_clear(m->prog);
		fb_error("%s", m->fail_msg);
		m->fail_msg[0] = '\0';
	}
	return m->failed;
}

static void run_phase(struct mjob *m, unsigned phase)
{
	m->phase = phase;
	if (my_rank == 0)
		lead_phase(m);
	else
		follow_phase(m);
}

/* Cuts the image into bands of whole groups, as the `guided` schedule cuts rows: each
 * band a 2R-th of what is left (R ranks), down to a 32R-th of the image, so that the
 * first bands are large (few passes) and the last small (no rank finishes long after
 * the others); none taller than the plan's strip height (the memory budget). The
 * same table on every rank: it depends on the image and the rank count only. Returns
 * 0, or -1 after reporting. */
static int plan_bands(struct mjob *m, const struct fb_strip_plan *plan)
{
	uint32_t h = m->job->height, unit = m->png ? m->enc.group_rows : 1;
	uint32_t ctx = m->png ? m->enc.dict_rows + 1 : 0, tallest = 0, widest = 0;
	uint64_t units = ((uint64_t)h + unit - 1) / unit, left = units;
	uint64_t least = (units + 32 * (uint64_t)n_ranks - 1) / (32 * (uint64_t)n_ranks);
	uint64_t most = plan->height > ctx + unit ? (plan->height - ctx) / unit : 1;

	least = least < 1 ? 1 : least > most ? most : least;
	if (!(m->band_start = malloc(((size_t)units + 1) * sizeof(*m->band_start))))
		return fb_error("out of memory");
	m->n_bands = 0;
	m->band_start[0] = 0;
	while (left) {
		uint64_t n = (left + 2 * (uint64_t)n_ranks - 1) / (2 * (uint64_t)n_ranks);
		uint32_t y0 = m->band_start[m->n_bands], y1;

		n = n < least ? least : n > most ? most : n;
		n = n > left ? left : n;
		left -= n;
		y1 = left ? y0 + (uint32_t)n * unit : h;
		m->band_start[++m->n_bands] = y1;
		tallest = y1 - y0 > tallest ? y1 - y0 : tallest;
		widest = (uint32_t)n > widest ? (uint32_t)n : widest;
	}
	m->strip_max = tallest + ctx < h ? tallest + ctx : h;
	m->slots = widest + 1;
	return 0;
}

static int mpi_agree(const struct fb_backend *be, int status);

static int mpi_stream(const struct fb_backend *be, const struct fb_job *job,
		      const struct fb_drive_options *dopt, const struct fb_pool_options *popt,
		      const struct fb_strip_plan *plan, struct fb_progress *prog,
		      struct fb_job_result *res, void **state_out)
{
	const struct fb_kernel *k = job->kernel;
	struct mjob m = { .job = job, .k = k, .popt = popt, .res = res, .prog = prog };
	struct fb_strip_shape shape;
	struct fb_pass pass;
	uint64_t t0 = fb_now_ns(), t_prep;
	int status = FB_DRIVE_RUN_FAILED;

	*state_out = NULL;
	if (n_ranks == 1)
		return fb_pipeline_run(job, dopt, popt, &fb_backend_local, plan, prog, res,
				       state_out);
	m.png = job->png != NULL;
	snprintf(m.what, sizeof(m.what), "'%s'", job->png ? job->png : job->label);
	res->ranks = (unsigned)n_ranks;
	res->rank_bands = calloc((size_t)n_ranks, sizeof(*res->rank_bands));
	res->rank_busy_s = calloc((size_t)n_ranks, sizeof(*res->rank_busy_s));
	m.pend = calloc(job->height, sizeof(*m.pend));
	m.tofold = calloc(job->height, sizeof(*m.tofold));
	m.pend_len = calloc(job->height, sizeof(*m.pend_len));
	m.window_bytes = plan->budget / 2;
	m.hash = dopt->hash;
	m.corrupt = dopt->corrupt;
	m.raw_crc = crc32(0L, Z_NULL, 0);
	m.deferred = calloc((size_t)n_ranks, sizeof(*m.deferred));
	if (!res->rank_bands || !res->rank_busy_s || !m.pend || !m.tofold || !m.pend_len || !m.deferred) {
		fb_error("out of memory");
		goto setup_done;
	}
	/* The group geometry first (it depends on the output image's layout only: a
	 * state of one-row rings says what it is), then the kernel's state with rings that
	 * hold a band and its context. */
	if (m.png) {
		struct fb_strip_shape one = { 1, 1, 0 };
		void *probe;
		uint32_t gr, dr;
		size_t row_bytes, total;

		if (k->create_strips(&probe, job->params, job->width, job->height,
				     k->input ? &job->input_image : NULL, &one) < 0)
			goto setup_done;
		k->output(probe, &m.out);
		m.img = m.out.image ? *m.out.image
				    : (struct fb_image){ job->width, job->height, 3, 8, NULL };
		k->destroy(probe);
		if (!fb_image_sizes(job->width, job->height, m.img.channels, m.img.depth,
				    &row_bytes, &total)) {
			fb_error("%s: image too large", job->label);
			goto setup_done;
		}
		fb_png_group_shape(row_bytes, &gr, &dr);
		m.enc.group_rows = gr;
		m.enc.dict_rows = dr;
	}
	if (plan_bands(&m, plan) < 0)
		goto setup_done;
	shape = (struct fb_strip_shape){ m.strip_max, m.strip_max,
					 plan->shape.raw_ring ? m.strip_max : 0 };
	if (k->create_strips(&m.state, job->params, job->width, job->height,
			     k->input ? &job->input_image : NULL, &shape) < 0)
		goto setup_done;
	k->output(m.state, &m.out);
	m.raw = shape.raw_ring && m.out.raw && (job->raw || dopt->hash);
	m.img = m.out.image ? *m.out.image
			    : (struct fb_image){ job->width, job->height, 3, 8, (void *)m.out.rgb };
	if (m.png && (fb_png_groups_init_ring(&m.enc, m.what, &m.img, &job->png_set, m.strip_max,
					      m.slots) < 0))
		goto setup_done;
	/* The partial totals: their size, a scratch one for the context's rows, and on the
	 * ranks that send them a log of a pass's (a chunk has at least one row). */
	for (unsigned i = 0; k->strip_pass(m.state, i, 0, m.strip_max, &pass); i++)
		m.psize = pass.fold ? pass.partial_size : m.psize;
	if (k->pass(m.state, 0, &pass) && pass.partial_size > m.psize)
		m.psize = pass.partial_size;
	if (k->pass(m.state, 1, &pass))
		FB_BUG("kernel %s has more than one pass before its strips", k->name);
	if (m.psize && !(m.scratch = calloc(1, m.psize))) {
		fb_error("out of memory");
		goto setup_done;
	}
	if (my_rank != 0 && m.psize) {
		m.log_size = sizeof(struct plog) + (size_t)m.strip_max * m.psize;
		if (!(m.log_mem = shared_malloc_or_error(m.log_size)))
			goto setup_done;
	}
	if (k->strip_input) {
		struct fb_strip_input want;
		struct fb_error_capture cap;
		int bad;

		k->strip_input(m.state, 0, m.strip_max, &want);
		fb_error_capture_begin(&cap);
		bad = fb_instream_open(&m.in, job->input, &job->input_image,
				       2 * m.strip_max + 2 * want.halo, want.halo, want.wrap,
				       plan->budget) < 0;
		fb_error_capture_end(&cap);
		if (bad) {
			fb_error("%s: input: %s", job->label, cap.msg);
			status = FB_DRIVE_SETUP_FAILED;
			goto setup_done;
		}
		m.has_in = true;
		fb_result_add_phase(res, "read", m.in.seconds);
		m.in.seconds = 0;
	}
	/* The kernel's serial work (deep zoom's reference orbit), every rank its own, before
	 * any output is opened; its time is its own phase's, not setup's. */
	t_prep = fb_now_ns();
	if (fb_kernel_prepare(k, m.state, prog, res) < 0)
		goto setup_done;
	t0 += fb_now_ns() - t_prep;
	if (my_rank == 0) {
		/* The outputs, written here only: the groups as they arrive go through a
		 * second set of slots, the stream's. */
		if ((m.png && fb_png_groups_init_ring(&m.wr, m.what, &m.img, &job->png_set,
						      m.strip_max, m.slots) < 0) ||
		    fb_stream_out_open(&m.o, job, dopt, m.png ? &m.wr : NULL, m.what,
				       m.raw ? &m.out : NULL) < 0)
			goto setup_done;
	}
	status = 0;
setup_done:
	/* All ranks set up, or none goes on. */
	m.failed = mpi_agree(be, status);	/* rank 0 says why, whichever rank failed */
	fb_result_add_phase(res, "setup", (double)(fb_now_ns() - t0) / 1e9);
	res->bands = m.n_bands;
	res->bytes_unencoded = (m.png ? (uint64_t)job->height * m.enc.row_bytes : 0) +
			       (m.raw ? (uint64_t)job->height * job->width * m.out.raw_elem_size : 0);
	if (m.failed && !status)
		status = m.failed;	/* another rank said why */
	if (!m.failed) {
		m.shown = (struct fb_pass){ .name = "stream", .rows = job->height };
		fb_progress_pass_start(prog);
		if (k->pass(m.state, 0, &pass)) {
			/* Histogram colouring: the count, then its sum over the ranks. */
			m.units = 2 * (uint64_t)job->height;
			run_phase(&m, 0);
			if (!phase_status(&m)) {
				for (unsigned i = 0; i < FB_PASS_STATE_MAX; i++)
					if (pass.state[i].p && pass.state[i].size)
						MPI_Allreduce(MPI_IN_PLACE, pass.state[i].p,
							      (int)(pass.state[i].size / 8),
							      MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
				if (k->after_pass && k->after_pass(m.state, 0) < 0)
					m.failed = FB_DRIVE_RUN_FAILED;	/* the same on every rank */
			}
		} else {
			m.units = job->height;
		}
		if (!m.failed) {
			run_phase(&m, 1);
			if (my_rank == 0 && !m.failed) {
				uint64_t tw = fb_now_ns();

				fb_progress_clear(prog);
				if (fb_stream_out_commit(&m.o, job, dopt) < 0)
					fail(&m, FB_DRIVE_RUN_FAILED, 0, NULL);
				if (dopt->hash) {
					res->png_hash = (uint32_t)m.o.crc;
					res->has_png_hash = m.png;
					res->raw_hash = (uint32_t)m.raw_crc;
					res->has_raw_hash = m.raw;
				}
				m.write_s += (double)(fb_now_ns() - tw) / 1e9;
			}
			phase_status(&m);
		}
		fb_result_add_phase(res, "write", m.write_s);
		status = m.failed;
	}
	fb_progress_clear(prog);
	for (uint32_t b = 0; m.pend && b < job->height; b++) {
		free(m.pend[b]);
		free(m.tofold[b]);
	}
	free(m.pend);
	free(m.pend_len);
	free(m.tofold);
	free(m.band_start);
	free(m.deferred);
	free(m.scratch);
	if (m.log_mem)
		shared_free(m.log_mem, m.log_size);
	fb_instream_close(&m.in);
	fb_stream_out_close(&m.o);
	fb_png_groups_free(&m.wr);
	if (m.enc.img)
		fb_png_groups_free(&m.enc);
	if (status) {
		if (m.state)
			k->destroy(m.state);
		return status == FB_DRIVE_SETUP_FAILED ? -2 : -1;
	}
	*state_out = m.state;
	return 0;
}

/* ---- the backend's other hooks ---- */

/* ---- whole-image kernels: each rank its block of rows ---- */

/* Shared between a rank's parent and the worker ending a step: the halo exchange the
 * worker asks for and waits on. Counted, not indexed by step: a step redone after a
 * death exchanges once, when it ends. */
struct exch {
	uint32_t request, done;
};

/* Rows [*r0, *r1) of the pass are rank's: contiguous blocks, as even as they come (the
 * rows of matmul and heat cost the same), in whole blocks of the pass's `align` rows.
 * With fewer blocks than ranks the last ranks get none, not rank 0 (which shows the
 * progress bar). */
static void block_of(const struct fb_pass *pass, int rank, uint32_t *r0, uint32_t *r1)
{
	uint64_t align = pass->align > 1 ? pass->align : 1;
	uint64_t units = (pass->rows + align - 1) / align, n = (uint64_t)n_ranks;
	uint64_t u0 = units - units * (n - (uint64_t)rank) / n;
	uint64_t u1 = units - units * (n - (uint64_t)rank - 1) / n;

	*r0 = (uint32_t)(u0 * align < pass->rows ? u0 * align : pass->rows);
	*r1 = (uint32_t)(u1 * align < pass->rows ? u1 * align : pass->rows);
}

/* A failure inside a pass of a whole-image kernel leaves the other ranks inside a
 * collective: the run ends here, with this rank's line. */
FB_NORETURN static void abort_run(void)
{
	if (my_rank != 0)
		fprintf(stderr, "forkband-mpi: rank %d (%s): %s\n", my_rank, host_of(my_rank),
			kept);
	MPI_Abort(MPI_COMM_WORLD, 1);
	_exit(1);
}

/* The partials every rank's workers logged: gathered, and the other ranks' folded into
 * this rank's totals (order-free folds), so that every rank holds the totals of all.
 * In the parent, while no worker folds. */
static void gather_fold(struct mjob *m)
{
	int mine = m->log ? (int)(m->log->n * m->psize) : 0, total = 0;
	int *counts = calloc((size_t)n_ranks, sizeof(int)), *displs;
	unsigned char *all;

	displs = calloc((size_t)n_ranks, sizeof(int));
	if (!counts || !displs) {
		fb_error("out of memory");
		abort_run();
	}
	MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
	for (int r = 0; r < n_ranks; r++) {
		displs[r] = total;
		total += counts[r];
	}
	all = malloc(total ? (size_t)total : 1);
	if (!all) {
		fb_error("out of memory");
		abort_run();
	}
	MPI_Allgatherv(m->log ? m->log->data : all, mine, MPI_BYTE, all, counts, displs,
		       MPI_BYTE, MPI_COMM_WORLD);
	for (int r = 0; r < n_ranks; r++) {
		for (int off = 0; r != my_rank && off < counts[r]; off += (int)m->psize) {
			memcpy(m->scratch, all + displs[r] + off, m->psize);
			m->kpass.fold(m->kpass.ctx, m->scratch);
		}
	}
	if (m->log)
		m->log->n = 0;
	free(all);
	free(counts);
	free(displs);
}

/* After a step: the totals of all ranks (a stencil's largest change, for its
 * tolerance), and the halo rows of every row buffer from the neighbouring ranks. */
static void exchange(struct mjob *m)
{
	const struct fb_pass *kp = &m->kpass;
	int up = my_rank > 0 ? my_rank - 1 : MPI_PROC_NULL;
	int down = my_rank < n_ranks - 1 ? my_rank + 1 : MPI_PROC_NULL;
	uint32_t r0 = m->sub_at, r1 = m->sub_at + m->sub_rows, halo = kp->halo;

	if (kp->fold)
		gather_fold(m);
	for (unsigned b = 0; halo && b < FB_PASS_ROWS_MAX && kp->out_rows[b].p; b++) {
		unsigned char *base = kp->out_rows[b].p;
		size_t rb = kp->out_rows[b].row_bytes;
		int n = (int)(halo * rb);

		/* Up: my first rows to the rank above, the first rows of the rank below into
		 * the rows after mine; then down, the other way. */
		MPI_Sendrecv(base + (size_t)r0 * rb, n, MPI_BYTE, up, TAG_HALO,
			     down == MPI_PROC_NULL ? base : base + (size_t)r1 * rb, n, MPI_BYTE,
			     down, TAG_HALO, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		MPI_Sendrecv(base + (size_t)(r1 - halo) * rb, n, MPI_BYTE, down, TAG_HALO,
			     up == MPI_PROC_NULL ? base : base + (size_t)(r0 - halo) * rb, n,
			     MPI_BYTE, up, TAG_HALO, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	}
}

/* The parent's side of a step's end: woken by the worker (a SIGCHLD of its own). */
static bool exchange_poll(void *pctx)
{
	struct mjob *m = pctx;
	uint32_t want = __atomic_load_n(&m->exch->request, __ATOMIC_ACQUIRE);

	if (want != m->exch->done) {
		exchange(m);
		__atomic_store_n(&m->exch->done, want, __ATOMIC_RELEASE);
		fb_wake_all(&m->exch->done);
	}
	return false;
}

/* In the worker that ends the step, the others waiting at the barrier: the parent
 * exchanges, then the kernel ends the step with every rank's totals. */
static bool sub_step_end(void *ctx, unsigned step)
{
	struct mjob *m = ctx;
	uint32_t want = m->exch->request + 1, now;

	__atomic_store_n(&m->exch->request, want, __ATOMIC_RELEASE);
	kill(getppid(), SIGCHLD);	/* the pool's parent sleeps until a SIGCHLD */
	while ((now = __atomic_load_n(&m->exch->done, __ATOMIC_ACQUIRE)) != want)
		fb_sleep_while(&m->exch->done, now);
	return m->kpass.step_end ? m->kpass.step_end(m->kpass.ctx, step) : false;
}

static void sub_progress(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct mjob *m = pctx;

	(void)pass;
	if (m->kpass.progress)
		m->kpass.progress(m->kpass.pctx, &m->shown, done);
}

static void sub_notice(void *pctx, const char *msg)
{
	struct mjob *m = pctx;

	if (my_rank == 0 && m->kpass.notice)
		m->kpass.notice(m->kpass.pctx, msg);
	else if (my_rank != 0)
		notice(pctx, msg);
}

/* Every rank's rows of every row buffer, on every rank. */
static void gather_rows(const struct fb_pass *pass)
{
	int *counts = calloc((size_t)n_ranks, sizeof(int));
	int *displs = calloc((size_t)n_ranks, sizeof(int));

	if (!counts || !displs) {
		fb_error("out of memory");
		abort_run();
	}
	for (unsigned b = 0; b < FB_PASS_ROWS_MAX && pass->out_rows[b].p; b++) {
		size_t rb = pass->out_rows[b].row_bytes;

		for (int r = 0; r < n_ranks; r++) {
			uint32_t a, z;

			block_of(pass, r, &a, &z);
			if ((uint64_t)z * rb > INT32_MAX) {
				fb_error("%s: %u rows of %zu bytes are more than one MPI message "
					 "holds", pass->name, pass->rows, rb);
				abort_run();
			}
			counts[r] = (int)((z - a) * rb);
			displs[r] = (int)(a * rb);
		}
		MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_BYTE, pass->out_rows[b].p, counts, displs,
			       MPI_BYTE, MPI_COMM_WORLD);
	}
	free(counts);
	free(displs);
}

/* A pass of a whole-image kernel (matmul, heat): this rank computes its block of rows
 * on its pool; the totals and the rows are then shared with every rank, so that the
 * next pass and the kernel's between-pass folds see the whole image everywhere, and
 * rank 0 writes it. A stepped pass exchanges halo rows and totals after every step. */
static int mpi_run(const struct fb_backend *be, const struct fb_pool_options *opt,
		   const struct fb_pass *pass, struct fb_pass_stats *stats)
{
	struct mjob m = { .kpass = *pass };
	struct fb_pass p = *pass;
	bool stepped = pass->steps > 1 || pass->step_end;
	size_t log_size = 0;
	uint32_t r0, r1;
	int rc;

	(void)be;
	if (n_ranks == 1)
		return fb_pool_run(opt, pass, stats);
	if (!pass->out_rows[0].p || pass->tasks || pass->state[1].p)
		FB_BUG("pass %s cannot run across ranks", pass->name);
	block_of(pass, my_rank, &r0, &r1);
	if (pass->halo ? r1 - r0 < pass->halo : r1 == r0 && pass->align <= 1)
		FB_BUG("pass %s: %u rows on %d ranks", pass->name, pass->rows, n_ranks);
	m.sub_at = r0;
	m.sub_rows = r1 - r0;
	m.psize = pass->fold ? pass->partial_size : 0;
	m.shown = *pass;
	m.shown.rows = r1 - r0;
	p.rows = r1 - r0;
	p.row_origin = r0;
	p.ctx = &m;
	p.compute = sub_compute;
	p.pctx = &m;
	p.progress = sub_progress;
	p.notice = sub_notice;
	if (m.psize) {
		/* A chunk has at least one row: the log has room for every chunk's partial. */
		log_size = sizeof(struct plog) + (size_t)(r1 - r0) * m.psize;
		m.scratch = calloc(1, m.psize);
		m.log = shared_malloc(log_size);
		if (!m.scratch || !m.log) {
			fb_error("out of memory");
			abort_run();
		}
		m.log->n = 0;
		p.fold = sub_fold;
		/* Copied after every step of a stepped pass (the pool's rule), else cleared. */
		p.state[1] = (struct fb_region){ m.log, log_size, !stepped };
	}
	if (stepped) {
		if (!(m.exch = shared_malloc(sizeof(*m.exch)))) {
			fb_error("out of memory");
			abort_run();
		}
		p.step_end = sub_step_end;
		p.parent_work = exchange_poll;
		p.parent_poll = true;
	}
	rc = fb_pool_run(opt, &p, stats);
	if (rc < 0)
		abort_run();
	if (!stepped && m.psize)
		gather_fold(&m);
	gather_rows(pass);
	free(m.scratch);
	if (m.log)
		shared_free(m.log, log_size);
	if (m.exch)
		shared_free(m.exch, sizeof(*m.exch));
	return 0;
}

static bool mpi_leader(const struct fb_backend *be)
{
	(void)be;
	return my_rank == 0;
}

static int mpi_agree(const struct fb_backend *be, int status)
{
	int worst, mine, lowest;

	(void)be;
	MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (worst == 0)
		return 0;
	/* The lowest rank that failed worst says why, unless that is rank 0 itself. */
	mine = status == worst ? my_rank : n_ranks;
	MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	if (lowest != 0 && my_rank == lowest) {
		MPI_Send(kept, (int)strlen(kept) + 1, MPI_CHAR, 0, TAG_AGREE, MPI_COMM_WORLD);
	} else if (lowest != 0 && my_rank == 0) {
		char msg[sizeof(kept)];

		MPI_Recv(msg, (int)sizeof(msg), MPI_CHAR, lowest, TAG_AGREE, MPI_COMM_WORLD,
			 MPI_STATUS_IGNORE);
		msg[sizeof(msg) - 1] = '\0';
		if (msg[0])
			fb_error("rank %d (%s): %s", lowest, host_of(lowest), msg);
	}
	return worst;
}

static int mpi_refuse(const struct fb_backend *be, const struct fb_job *job)
{
	(void)be;
	if (n_ranks == 1 || fb_job_streams(job))
		return 0;
	if (!job->kernel->rows_declared)	/* the whole-image path of a streaming kernel */
		return fb_error("%s: kernel '%s' runs across MPI ranks only in strips "
				"(FORKBAND_TEST_WHOLE_IMAGE is set)", job->label, job->kernel->name);
	if (job->height < 2 * (uint32_t)n_ranks)
		return fb_error("%s: height: expected at least 2 rows a rank across %d ranks, "
				"got %u", job->label, n_ranks, job->height);
	return 0;
}

static unsigned mpi_where(const struct fb_backend *be, char *buf, size_t len)
{
	size_t n = 0;

	(void)be;
	buf[0] = '\0';
	for (int r = 0; r < n_ranks && n < len; r++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", r ? "," : "", host_of(r));
	return (unsigned)n_ranks;
}

const struct fb_backend fb_backend_mpi = {
	.name = "mpi",
	.run = mpi_run,
	.stream = mpi_stream,
	.leader = mpi_leader,
	.agree = mpi_agree,
	.refuse = mpi_refuse,
	.where = mpi_where,
};

/* ---- starting and stopping ---- */

static void keep(const char *msg, void *ctx)
{
	(void)ctx;
	snprintf(kept, sizeof(kept), "%s", msg);
}

int fb_mpi_init(int *argc, char ***argv)
{
	char host[MPI_MAX_PROCESSOR_NAME] = { 0 };
	int len;

	if (MPI_Init(argc, argv) != MPI_SUCCESS)
		return fb_error("cannot start MPI");
	initialised = true;
	atexit(fb_mpi_finalize);
	MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &n_ranks);
	MPI_Get_processor_name(host, &len);
	hosts = calloc((size_t)n_ranks, MPI_MAX_PROCESSOR_NAME);
	if (!hosts) {	/* the others would wait for this rank in the gather */
		fb_error("out of memory");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	MPI_Allgather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts,
			      MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
	/* One voice: the other ranks keep their messages for rank 0 to print. */
	if (my_rank != 0)
		fb_error_set_sink(keep, NULL);
	return 0;
}

void fb_mpi_finalize(void)
{
	if (initialised && !finalised) {
		finalised = true;
		MPI_Finalize();
		free(hosts);
		hosts = NULL;
	}
}

int fb_mpi_rank(void)
{
	return my_rank;
}

int fb_mpi_size(void)
{
	return n_ranks;
}
