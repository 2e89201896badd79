/* The probe's agent thread: the only thread of ours in the target. It owns the WebSocket
 * connection to the server (reconnecting with backoff), the event loop, and all slow work. */
#ifndef PODBUG_AGENT_H
#define PODBUG_AGENT_H

/* Starts the agent thread (called from the library constructor). Returns at once. */
int agent_start(void);
/* Queues one protocol message for the server; takes ownership of text (malloc'ed). Dropped
 * when not connected. Agent thread only. */
void agent_send(char *text);
/* Runs fn once every message queued so far has been written to the socket (at once when nothing
 * is queued or not connected; on disconnect too). For actions after which the process may die:
 * resuming from a crash, releasing a crashing thread. Agent thread only. */
void agent_after_flush(void (*fn)(void));

#endif
