/* Turning captured snapshots into probe-protocol `snapshot` events: each raw copy formatted by the
 * agent (frames with inlined calls, Arguments / Locals / Registers trees read from the copy only). */
#ifndef PODBUG_SNAPSHOT_REPORT_H
#define PODBUG_SNAPSHOT_REPORT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include "snapshot_capture.h"
#include "symbols.h"

/* Agent: the body of a `snapshot` event (PROBE_PROTOCOL.md 4.15) for s; dropped is the count to
 * report with it. Values whose bytes were not copied say "<not captured>". NULL when out of
 * memory. */
cJSON *snapshot_format(sym_index *symbols, const snapshot_raw *s, const char *thread_name,
                       uint64_t dropped);

/* Agent: formats and sends (agent_send) every snapshot waiting in the pool, each with the
 * breakpoint's dropped count (bp_conditions_take_dropped), and releases their slots. */
void snapshot_report_pending(sym_index *symbols);

#endif
