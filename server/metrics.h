/* A registry of Prometheus metrics (counters and gauges, at most one label each) and their
 * rendering in the text exposition format 0.0.4. Generic: podbug's own metrics are in server_metrics. */
#ifndef PODBUG_SERVER_METRICS_H
#define PODBUG_SERVER_METRICS_H

#include <stdint.h>

typedef enum { METRIC_COUNTER, METRIC_GAUGE } metric_type;

typedef struct metric_family metric_family;
/* Reads a gauge's current value at render time (e.g. the number of connected probes). */
typedef uint64_t (*metric_read_fn)(void);

/* Registers a family (name, help, type; label_name NULL for none). Returns NULL when out of memory. */
metric_family *metrics_register(const char *name, const char *help, metric_type type, const char *label_name);
/* Registers a gauge without label whose value is read by fn when rendering. */
metric_family *metrics_register_read(const char *name, const char *help, metric_read_fn fn);
/* Adds n to the series with this label value (NULL for a family without label), creating it at 0. */
void metrics_add(metric_family *f, const char *label_value, uint64_t n);
void metrics_set(metric_family *f, const char *label_value, uint64_t value);
/* Makes a labelled series appear (with 0) before anything happened, so that dashboards see it. */
void metrics_declare(metric_family *f, const char *label_value);
/* Every family in registration order, as exposition text; malloc'ed, NULL when out of memory. */
char *metrics_render(void);
/* Forgets every family (shutdown and tests). */
void metrics_reset(void);

#endif
