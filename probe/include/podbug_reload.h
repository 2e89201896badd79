/* Public header for libraries that podbug hot-reloads: the optional hook through which a rebuilt
 * library takes over the running library's state itself. Include it in the library's sources. */
#ifndef PODBUG_RELOAD_PUBLIC_H
#define PODBUG_RELOAD_PUBLIC_H

#ifdef __cplusplus
extern "C" {
#endif

/* Define this function (with default visibility) in the library to control what a hot reload
 * carries over. When the new library defines it, podbug:
 *   1. loads the new library and binds its non-static globals to the running definitions (the
 *      running values are kept, as without the hook);
 *   2. does NOT carry file-static and function-static variables automatically: they start with
 *      the new library's initial values;
 *   3. calls podbug_reload_state once, before any function of the running library is redirected
 *      to the new code, on podbug's agent thread while the program's threads run on;
 *   4. redirects the functions when it returns 0, or refuses the reload when it returns nonzero
 *      ("refused: the library's podbug_reload_state returned 3"): the old code keeps running.
 *
 * old_symbol(name) returns the address of a variable or function of the running library, or NULL
 * when it knows none of that name. Names are plain symbol names ("counter", "handle_order"),
 * or the keys podbug uses for statics: "file.c:name" for a file static and "file.c:function:name"
 * for a function's static (file is the unit's file name without directories). A variable whose
 * storage was carried by an earlier reload is returned at the storage the running code uses.
 *
 * Example: the running library counted requests in one static; the new one splits the count.
 *
 *     static int gets, posts;          // was: static int requests;
 *     int podbug_reload_state(void *(*old_symbol)(const char *name))
 *     {
 *         const int *old = old_symbol("handlers.c:requests");
 *         if (old)
 *             gets = *old;
 *         return 0;
 *     }
 *
 * A variable whose type changed is refused before the hook is called, as without it.
 */
int podbug_reload_state(void *(*old_symbol)(const char *name));

#ifdef __cplusplus
}
#endif

#endif
