/* What a --listen address means for security: whether it is a loopback address, which only this
 * machine can reach (127.0.0.0/8, ::1, localhost). */
#ifndef PODBUG_SERVER_LISTEN_ADDR_H
#define PODBUG_SERVER_LISTEN_ADDR_H

#include <stdbool.h>

/* False for every other address, for "0.0.0.0", "::", "" and NULL (every address), and for an
 * interface name. */
bool listen_addr_is_loopback(const char *addr);

#endif
