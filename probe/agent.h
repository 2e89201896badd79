/* The probe's agent thread: the only thread of ours in the target. It owns the WebSocket
 * connection to the server (reconnecting with backoff), the event loop, and all slow work. */
#ifndef PODBUG_AGENT_H
#define PODBUG_AGENT_H

#include <stdbool.h>
#include <stddef.h>

/* Starts the agent thread with the settings from the environment (settings NULL: the library
 * constructor) or from settings text (podbug_probe_attach, see config.h). Returns at once: 0, or
 * -1 with err (the caller reports it). */
int agent_start(const char *settings, char *err, size_t err_len);
/* Queues one protocol message for the server; takes ownership of text (malloc'ed). Dropped
 * when not connected. Agent thread only. */
void agent_send(char *text);
/* Runs fn once every message queued so far has been written to the socket (at once when nothing
 * is queued or not connected; on disconnect too). For actions after which the process may die:
 * resuming from a crash, releasing a crashing thread. Agent thread only. */
void agent_after_flush(void (*fn)(void));

/* Holding the start of a program the server launched (PODBUG_HOLD; PROBE_PROTOCOL.md 4.23): the
 * constructor waits until the server sends "release", so that early breakpoints hit. */
/* Marks the start as held (hello says so); called before agent_start. */
void agent_hold_begin(void);
/* Blocks the calling thread (the constructor's) until agent_release or timeout_ms (then warns). */
void agent_hold_wait(int timeout_ms);
bool agent_is_held(void);
/* The server's release (agent thread); nothing when the start is not held. */
void agent_release(void);

#endif
