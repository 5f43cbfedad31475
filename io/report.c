/* report.c: build the report with cJSON and write it through io/outfile. */
#include "runtime/compat.h"

#include "report.h"

#include "outfile.h"
#include "kernels/isa.h"
#include "runtime/error.h"
#include "runtime/spinlock.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cJSON *job_json(const struct fb_job_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *phases, *passes, *totals;

	if (!o)
		return NULL;
	cJSON_AddItemToObject(o, "config", fb_job_to_json(r->job));
	cJSON_AddNumberToObject(o, "workers", r->workers);
	cJSON_AddStringToObject(o, "schedule", fb_schedule_name(r->schedule));
	cJSON_AddNumberToObject(o, "chunk", r->n_passes ? r->pass[0].chunk : 0);
	cJSON_AddNumberToObject(o, "wall_s", r->total_s);
	{
		/* How it ran: in strips (with its budget) or on the whole image, and the
		 * largest resident sets, which show that the budget held. */
		cJSON *m = cJSON_AddObjectToObject(o, "memory");

		if (m) {
			cJSON_AddBoolToObject(m, "streamed", r->strips > 0);
			if (r->strips) {
				cJSON_AddNumberToObject(m, "budget_bytes", (double)r->budget);
				cJSON_AddNumberToObject(m, "strip_rows", r->strip_height);
				cJSON_AddNumberToObject(m, "strips", r->strips);
			}
			cJSON_AddNumberToObject(m, "peak_rss_parent_bytes", (double)r->peak_parent);
			cJSON_AddNumberToObject(m, "peak_rss_worker_bytes", (double)r->peak_worker);
		}
	}
	if (r->ranks) {
		/* Across MPI ranks: how the rows were shared and what crossed the network. */
		cJSON *m = cJSON_AddObjectToObject(o, "mpi"), *rk;

		if (m) {
			cJSON_AddNumberToObject(m, "ranks", r->ranks);
			cJSON_AddNumberToObject(m, "bands", r->bands);
			cJSON_AddNumberToObject(m, "bytes_received", (double)r->bytes_received);
			cJSON_AddNumberToObject(m, "bytes_unencoded", (double)r->bytes_unencoded);
			rk = cJSON_AddArrayToObject(m, "per_rank");
			for (unsigned i = 0; rk && r->rank_bands && i < r->ranks; i++) {
				cJSON *ro = cJSON_CreateObject();

				if (!ro)
					break;
				cJSON_AddItemToArray(rk, ro);
				cJSON_AddNumberToObject(ro, "rank", i);
				cJSON_AddNumberToObject(ro, "bands", r->rank_bands[i]);
				cJSON_AddNumberToObject(ro, "busy_s", r->rank_busy_s[i]);
			}
		}
	}
	phases = cJSON_AddObjectToObject(o, "phases_s");
	for (size_t i = 0; phases && i < r->n_phases; i++)
		cJSON_AddNumberToObject(phases, r->phase[i].name, r->phase[i].seconds);
	passes = cJSON_AddArrayToObject(o, "passes");
	for (size_t i = 0; passes && i < r->n_passes; i++) {
		const struct fb_pass_stats *ps = &r->pass[i];
		cJSON *p = cJSON_CreateObject(), *ws;

		if (!p)
			break;
		cJSON_AddItemToArray(passes, p);
		cJSON_AddStringToObject(p, "name", r->pass_name[i]);
		cJSON_AddNumberToObject(p, "wall_s", ps->wall_s);
		cJSON_AddNumberToObject(p, "chunk", ps->chunk);
		ws = cJSON_AddArrayToObject(p, "workers");
		for (unsigned w = 0; ws && w < ps->workers; w++) {
			cJSON *wo = cJSON_CreateObject();

			if (!wo)
				break;
			cJSON_AddItemToArray(ws, wo);
			cJSON_AddNumberToObject(wo, "worker", w);
			cJSON_AddNumberToObject(wo, "rows", (double)ps->worker[w].rows);
			cJSON_AddNumberToObject(wo, "chunks", (double)ps->worker[w].chunks);
			cJSON_AddNumberToObject(wo, "busy_s", (double)ps->worker[w].busy_ns / 1e9);
		}
		if (ps->n_events) {
			cJSON *ev = cJSON_AddArrayToObject(p, "recovered");

			for (unsigned e = 0; ev && e < ps->n_events; e++)
				cJSON_AddItemToArray(ev, cJSON_CreateString(ps->events[e]));
		}
	}
	cJSON_AddNumberToObject(o, "recoveries", r->recoveries);
	totals = cJSON_AddObjectToObject(o, "totals");
	for (size_t i = 0; totals && i < r->n_totals; i++) {
		const struct fb_total *t = &r->total[i];

		if (t->array) {
			cJSON *a = cJSON_AddArrayToObject(totals, t->name);

			for (size_t k = 0; a && k < t->array_len; k++)
				cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->array[k]));
		} else {
			cJSON_AddNumberToObject(totals, t->name, t->is_real ? t->d : (double)t->u);
		}
	}
	return o;
}

int fb_report_write(const char *path, const struct fb_job_result *results, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *host, *jobs;
	char *text = NULL;
	int rc;

	if (!root)
		return fb_error("out of memory");
	cJSON_AddStringToObject(root, "forkband", FORKBAND_VERSION);
	host = cJSON_AddObjectToObject(root, "host");
	if (host) {
		cJSON_AddNumberToObject(host, "cpus", fb_online_cpus());
		cJSON_AddStringToObject(host, "lock", FB_LOCK_VARIANT);
		/* What the escape kernels ran on (--isa, else the best the CPU has). */
		cJSON_AddStringToObject(host, "isa", fb_isa_name(fb_isa_current()));
		cJSON_AddStringToObject(host, "compiler", FB_COMPILER);
		/* What matmul's blas engine computes with. */
		cJSON_AddStringToObject(host, "blas", fb_matmul_blas_name());
	}
	jobs = cJSON_AddArrayToObject(root, "jobs");
	for (size_t i = 0; jobs && i < n; i++) {
		cJSON *j = job_json(&results[i]);

		if (j)
			cJSON_AddItemToArray(jobs, j);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return fb_error("out of memory building the report");
	rc = fb_write_text(path, text);
	cJSON_free(text);
	return rc;
}
