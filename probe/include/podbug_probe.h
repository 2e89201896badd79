/* Public header of libpodbug-probe.so's entry for injectors: starting the probe of a library that
 * was dlopen'ed rather than preloaded, with settings given as text instead of the environment. */
#ifndef PODBUG_PROBE_PUBLIC_H
#define PODBUG_PROBE_PUBLIC_H

#ifdef __cplusplus
extern "C" {
#endif

/* Starts the probe's agent thread and returns at once. settings holds one "NAME=value" per line
 * with the names of the environment (PODBUG_SERVER, PODBUG_POD, PODBUG_NAMESPACE, PODBUG_LABELS,
 * PODBUG_TOKEN, PODBUG_LOG), checked as the environment is; what it omits takes the defaults, not
 * the process's environment. Returns 0 when started, 1 when the probe already runs in this
 * process, -1 when it cannot start (a bad setting); podbug_probe_attach_error then tells why.
 * `podbug attach` calls it in the target after dlopen: while podbug traces the loading thread,
 * the library's constructor leaves the start to this call. */
int podbug_probe_attach(const char *settings);

/* Why the last podbug_probe_attach did not start the probe ("" when it did). */
const char *podbug_probe_attach_error(void);

#ifdef __cplusplus
}
#endif

#endif
